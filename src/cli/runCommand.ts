import { existsSync } from 'node:fs'
import type { RunConfig } from '../events/catalogue.ts'
import { WorkflowFailedError } from '../api/workflowFailed.ts'
import { JobtreeError } from '../errors.ts'
import { orDiskFull, resumeHint } from '../diskFull.ts'
import { stderrLogger, type LogLevel } from '../logger.ts'
import type { Leader } from '../leader/leader.ts'
import { pickConfig, runWorkflow } from '../leader/runWorkflow.ts'
import { startEarly } from '../batch/choose.ts'
import { isStore, isUnfinishedStore, storePaths } from '../store/store.ts'
import { toJson } from '../events/json.ts'
import { readInputFile } from './inputFile.ts'
import { cliImports } from '../files/imports.ts'
import { loadWorkflowModule } from './loadModule.ts'
import { progressDisplay } from './progress.ts'
import { runSummary } from './progressView.ts'
import { RunTally } from '../audit/runTally.ts'
import { checkSameGroup, sharedGroupId } from './sharedGroup.ts'

/** The options of `jobtree run`: the run's own settings, and how this command behaves. */
export interface RunFlags extends Partial<RunConfig> {
  store: string
  target?: string
  input?: unknown
  inputFile?: string
  restart?: boolean
  /** The group that may read the store (recorded in it when it is made). */
  sharedGroup?: string
  logLevel: LogLevel
  progress: boolean
}

/** `jobtree run`: returns the exit code. */
export async function runCommand(modulePath: string, flags: RunFlags): Promise<number> {
  const store = storePaths(flags.store).root
  // Refuse before touching anything: a store that exists without --restart,
  // or --restart without a store, changes nothing.
  if (!flags.restart && isStore(store)) {
    throw new JobtreeError('STORE_EXISTS', `store ${store} already exists: resume it with --restart, or choose a new --store`)
  }
  if (flags.restart && !isStore(store)) {
    if (isUnfinishedStore(store)) {
      throw new JobtreeError(
        'STORE_MISSING',
        `cannot restart: the store at ${store} was never created (its creation was interrupted): run the same command without --restart`,
      )
    }
    throw existsSync(store)
      ? new JobtreeError('STORE_INVALID', `cannot restart: ${store} is not a jobtree store`)
      : new JobtreeError('STORE_MISSING', `cannot restart: no store at ${store}`)
  }
  if (!flags.restart && flags.target === undefined) throw new JobtreeError('BAD_OPTION', 'run needs --target <name> (the root job)')
  if (flags.input !== undefined && flags.inputFile !== undefined)
    throw new JobtreeError('BAD_OPTION', "give the root's input with --input or with --input-file, not both")
  const input = cliImports(flags.inputFile === undefined ? flags.input : readInputFile(flags.inputFile))
  const sharedGroup = flags.sharedGroup === undefined ? undefined : sharedGroupId(flags.sharedGroup)
  if (flags.restart) checkSameGroup(store, sharedGroup)
  const config = pickConfig(flags)
  if (!flags.restart) startEarly(config)
  const module = await loadWorkflowModule(modulePath)

  const progress = progressDisplay(process.stderr, flags.progress && flags.logLevel !== 'error')
  // Set when a leader starts: a run that had already succeeded starts none.
  let tally: RunTally | undefined
  let leaderStartedAt = Date.now()
  const logger = stderrLogger(flags.logLevel, () => progress.clear())

  let leader: Leader | undefined
  let interrupted = false
  // The first signal stops the run cleanly (recorded, jobs killed); a second one does not wait.
  const onSignal = (signal: NodeJS.Signals) => {
    if (interrupted) process.exit(130)
    interrupted = true
    if (leader === undefined) process.exit(130)
    leader.stop(`received ${signal}`)
  }
  process.on('SIGINT', onSignal)
  process.on('SIGTERM', onSignal)
  try {
    const result = await runWorkflow({
      module,
      target: flags.target ?? '',
      input: input ?? null,
      store,
      restart: flags.restart === true,
      sharedGroup,
      config,
      logger,
      onStart: (l) => {
        leader = l
        leaderStartedAt = Date.now()
        tally = RunTally.from(l.current)
        progress.start(tally, () => l.held())
      },
      onCommit: (state, events) => {
        tally?.add(events)
        progress.update(state)
      },
    }).catch((err: unknown) => {
      // main() prints the error on a line of its own, not after the progress line.
      progress.clear()
      // What the batch system or the leader's socket write can find full too.
      throw orDiskFull(err, store, resumeHint(store))
    })
    progress.done(result.state, result.finished)
    logger.info(runSummary(result.state, tally, Date.now() - leaderStartedAt, store))
    if (!result.finished) return 130
    if (result.ok) {
      // A root that returned nothing prints nothing; any other value prints in the JSON form of every command.
      if (result.value !== undefined) process.stdout.write(`${toJson(result.value)}\n`)
      return 0
    }
    // main() prints it as the one-line verdict, and exits 1.
    throw new WorkflowFailedError(result)
  } finally {
    process.off('SIGINT', onSignal)
    process.off('SIGTERM', onSignal)
  }
}
