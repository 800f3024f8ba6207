import { EventSource } from '../audit/eventSource.ts'
import { foldEvents } from '../audit/fold.ts'
import { evolve } from '../decider/jobTree.ts'
import { initialState, type JobTreeState } from '../decider/jobTreeState.ts'
import { lookup } from '../decider/fileRefs.ts'
import { mustParseFileId, parseFileId } from '../events/fileId.ts'
import { toJson } from '../events/json.ts'
import { JobtreeError } from '../errors.ts'
import { exportStoreFile } from '../files/attemptFiles.ts'
import { storeFilePath } from '../files/storeFile.ts'
import { printable } from '../printable.ts'
import { size, table } from '../units.ts'

// `jobtree files`: the files of a run's store, as its log says they stood
// (at the end, or after event --to), and a copy of one out of it.

interface FileRow {
  id: string
  name: string
  size: number
  /** The job that wrote it (-1: imported when the run started). */
  job: number
  attempt: number
  /** Why it is kept: inputs and values that name it, exported, or its writer's subtree still running. */
  keptBy: string
}

export async function filesCommand(dir: string, flags: { to?: number; export?: string[]; force?: boolean; json?: boolean }): Promise<number> {
  const source = await EventSource.open(dir)
  const { live } = source
  let state: JobTreeState
  try {
    state = await foldEvents(source, initialState, (s, r) => evolve(s, r.event), flags.to === undefined ? {} : { to: flags.to })
  } finally {
    await source.close()
  }
  if (flags.export !== undefined) {
    const [id, dest] = flags.export
    if (dest === undefined) throw new JobtreeError('BAD_OPTION', 'option --export takes a file id and a destination: --export ID DEST')
    const ref = mustParseFileId(id, state.runId)
    if (lookup(state, id) === undefined) {
      throw new JobtreeError('FILE_MISSING', `file ${ref.name} (${id}) is not in store ${source.paths.root}: it was never visible, or was deleted or released`)
    }
    const target = await exportStoreFile(storeFilePath(source.paths.files, ref), ref, id, dest, { force: flags.force })
    process.stdout.write(`${target}\n`)
    return 0
  }
  const rows = fileRows(state)
  if (flags.json) {
    process.stdout.write(`${toJson({ store: source.paths.root, runId: state.runId, files: rows })}\n`)
    return 0
  }
  const total = rows.reduce((sum, r) => sum + r.size, 0)
  const lines = [`store: ${source.paths.root}: ${rows.length} file(s), ${size(total)}${live ? ' (a leader is running it)' : ''}`]
  if (rows.length > 0) {
    const cells = rows.map((r) => [r.name, size(r.size), r.job === -1 ? 'imported' : `job ${r.job}`, r.keptBy, r.id])
    lines.push('', ...table([['name', 'size', 'written by', 'kept by', 'id'], ...cells], 'lrlll'))
  }
  process.stdout.write(`${lines.map((l) => printable(l)).join('\n')}\n`)
  return 0
}

function fileRows(state: JobTreeState): FileRow[] {
  const rows: FileRow[] = []
  for (const [, entry] of state.files.entries()) {
    const ref = parseFileId(entry.id)
    const reasons: string[] = []
    if (entry.exported) reasons.push('exported')
    if (entry.refs > 0) reasons.push(`${entry.refs} input(s)/value(s)`)
    if (state.jobs.get(entry.jobId) !== undefined) reasons.push('its writer is not done')
    rows.push({
      id: entry.id,
      name: ref?.name ?? '?',
      size: entry.size,
      job: entry.jobId,
      attempt: entry.attempt,
      keptBy: reasons.length > 0 ? reasons.join(', ') : state.config?.keepFiles ? '--keep-files' : 'nothing (to be released)',
    })
  }
  return rows
}
