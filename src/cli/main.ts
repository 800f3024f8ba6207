import { printable } from '../printable.ts'
import { readFileSync } from 'node:fs'
import { Command, CommanderError, InvalidArgumentError, Option } from 'commander'
import { JobtreeError, oneLine } from '../errors.ts'
import { parseSize } from '../sizes.ts'
import { LOG_LEVELS } from '../logger.ts'
import { BATCH_SYSTEMS } from '../batch/names.ts'
import { shellWords } from './shellWords.ts'
import { addAuditCommands } from './auditCommands.ts'
import { lazily } from './lazily.ts'
import { jobId, seqNumber } from './options.ts'

// The `jobtree` command line. Exit codes: 0 success, 1 the workflow failed
// (or, for status --fail-if-not-complete, is not complete), 2 bad usage or
// input (or the machine refused: no space, no permission), 70 a bug in
// jobtree, 130 interrupted.
//
// Each command's module is imported when that command runs: `status` then
// never loads the leader and its batch systems (rxjs alone takes longer to
// load than Node to start: bench/RESULTS.md, "Figures behind design choices"),
// which keeps it quick on a large store.

function wholeNumber(min: number) {
  return (value: string): number => {
    const n = Number(value)
    if (!/^\s*\d+\s*$/.test(value) || !Number.isSafeInteger(n) || n < min) throw new InvalidArgumentError(`expected a whole number of at least ${min}`)
    return n
  }
}

function positiveNumber(value: string): number {
  const n = Number(value)
  if (value.trim() === '' || !Number.isFinite(n) || n <= 0) throw new InvalidArgumentError('expected a number above 0')
  return n
}

function nonNegativeNumber(value: string): number {
  const n = Number(value)
  if (value.trim() === '' || !Number.isFinite(n) || n < 0) throw new InvalidArgumentError('expected a number, 0 or more')
  return n
}

function size(value: string): number {
  try {
    return parseSize(value, 'size')
  } catch (err) {
    throw new InvalidArgumentError(oneLine(err).replace(/^size /, ''))
  }
}

function siteArgs(value: string): string[] {
  try {
    return shellWords(value, '--slurm-args')
  } catch (err) {
    // Commander says which option and value; the rest is ours, as a sentence.
    const why = oneLine(err).replace(/^--slurm-args /, '')
    throw new InvalidArgumentError(why.charAt(0).toUpperCase() + why.slice(1))
  }
}

function json(value: string): unknown {
  try {
    return JSON.parse(value)
  } catch (err) {
    throw new InvalidArgumentError(`not valid JSON (${oneLine(err)})`)
  }
}

/** jobtree's version: its package.json is two folders up, from the sources, the compiled modules and the bundle alike. */
function version(): string {
  return (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version
}

export function program(): Command {
  const cli = new Command('jobtree')
    .description('Run durable, event-sourced trees of jobs')
    .version(version(), '-V, --version', "print jobtree's version")
    .exitOverride()
    .configureOutput({ outputError: (text, write) => write(`jobtree: ${hinted(text.replace(/^error: /, '').trim())}\n`) })

  cli
    .command('run')
    .description('run a workflow (or resume one with --restart)')
    .argument('<module>', 'workflow module (.ts or .js) that registers targets')
    .requiredOption('--store <dir>', 'store directory (the event log and job logs)')
    .option('--target <name>', 'target to run as the root job')
    .option('--input <json>', 'input of the root job, as JSON', json)
    .option('--input-file <path>', 'input of the root job, as JSON read from a file (- for standard input)')
    .option('--restart', 'resume the run in an existing store')
    .option('--shared-group <group>', 'a new store readable by this group (dirs 02750, files 0640) rather than by its owner alone; kept on --restart')
    .option('--max-jobs <n>', 'jobs issued at once (default 1000)', wholeNumber(1))
    .option('--max-cores <n>', 'cores the jobs may use (default: all)', positiveNumber)
    .option('--max-memory <size>', 'memory the jobs may use, e.g. 16G (default: all)', size)
    .option('--max-disk <size>', "disk the jobs may use (default: the store's file system)", size)
    .option('--retry-count <n>', 'failed attempts retried per job (default 1)', wholeNumber(0))
    .option('--retry-backoff <seconds>', 'wait before a retry, doubling with each failure (default 0)', nonNegativeNumber)
    .option('--max-job-duration <seconds>', 'kill attempts running longer, and count them as failed (default: no limit)', nonNegativeNumber)
    .option('--time-limit-factor <factor>', 'kill attempts running longer than their declared time × factor', nonNegativeNumber)
    .option('--rescue-frequency <seconds>', 'how often to look for over-long and lost jobs (default 60)', positiveNumber)
    .addOption(new Option('--batch-system <name>', 'what runs the jobs (default local)').choices(BATCH_SYSTEMS))
    .option('--slurm-args <options>', 'site options for sbatch, e.g. "--partition=short --account=lab" (quoted as in a shell, never run by one)', siteArgs)
    .option('--slurm-tmp-always', "on Slurm, reserve every job's disk (2G unless the job says) as --tmp; without it, only the disk jobs ask for")
    .option(
      '--job-time <seconds>',
      'on a cluster, pack jobs declaring at most this time into one cluster job up to this much in all (default 30; 0: never)',
      nonNegativeNumber,
    )
    .option('--poll-interval <seconds>', "on a cluster, how often the states of the run's jobs are read (default 2)", positiveNumber)
    .option('--keep-files', 'keep every file jobs wrote, even once no job can read it (for debugging)')
    .option('--no-chaining', "never let a worker run a job's lone successor itself (this leader; chaining is on by default)")
    .addOption(new Option('--log-level <level>', 'how much the leader says').choices(LOG_LEVELS).default('info'))
    .option('--no-progress', 'no progress line')
    .action(lazily(async () => (await import('./runCommand.ts')).runCommand))

  cli
    .command('status')
    .description('show the state of a run: counts, failed jobs, whether it is complete')
    .argument('<store>', 'store directory')
    .option('--fail-if-not-complete', 'exit 1 unless the run finished successfully')
    .option('--json', 'print the status as JSON')
    .action(lazily(async () => (await import('./statusCommand.ts')).statusCommand))

  cli
    .command('kill')
    .description('stop the run a leader is working on (as Ctrl-C would); resume it with run --restart')
    .argument('<store>', 'store directory')
    .option('--wait <seconds>', 'how long to wait for the leader to stop', wholeNumber(1), 60)
    .action(lazily(async () => (await import('./killCommand.ts')).killCommand))

  cli
    .command('clean')
    .description('remove a store whose run is over or abandoned, and everything in it (refused while a leader runs on it)')
    .argument('<store>', 'store directory')
    .action(lazily(async () => (await import('./cleanCommand.ts')).cleanCommand))

  cli
    .command('rewind')
    .description('send jobs that ran back to run again on the next restart, with everything that depends on them; their history stays in the log, superseded')
    .argument('<store>', 'store directory')
    .option('--job <id>', 'rewind this job (may be given more than once)', (value: string, before: number[] | undefined) => [...(before ?? []), jobId(value)])
    .option('--to <seq>', 'rewind the whole run to how it stood after this event', seqNumber)
    .option('--dry-run', 'print what would run again, and change nothing')
    .option('--json', 'print JSON')
    .action(lazily(async () => (await import('./rewindCommand.ts')).rewindCommand))

  cli
    .command('debug-job')
    .description(
      "run one job of a run again, in the foreground, with the input its last attempt got and the workflow's current code; nothing is written to the store",
    )
    .argument('<store>', 'store directory')
    .requiredOption('--job <id>', 'the job to run', wholeNumber(0))
    .option('--inspect [[host:]port]', 'wait for a debugger (default 127.0.0.1:9229) and stop right before the job runs')
    .option('--keep', 'keep the scratch directory (the files, temp dir and exports the job made) and print where it is')
    .action(lazily(async () => (await import('./debugJobCommand.ts')).debugJobCommand))

  cli
    .command('report')
    .description('write a run (finished or still going) as one self-contained HTML page: summary, per-target table, timeline, failures, critical path')
    .argument('<store>', 'store directory')
    .option('-o, --output <file>', 'where to write the page', 'report.html')
    .action(lazily(async () => (await import('./reportCommand.ts')).reportCommand))

  cli
    .command('ui')
    .description("a live web view of a run (its tree, timeline, jobs' logs), read-only, on a local port with a token in its URL")
    .argument('<store>', 'store directory')
    .option('--port <n>', 'port to listen on (default: a free one)', wholeNumber(1))
    .option('--host <host>', 'address to listen on (default 127.0.0.1: this machine only)')
    .action(lazily(async () => (await import('./uiCommand.ts')).uiCommand))

  addAuditCommands(cli)
  return cli
}

/** Words people reach for that jobtree spells another way (Nextflow's -resume, Snakemake's --rerun). */
const SPELLED: ReadonlyArray<[string, string]> = [
  ['--resume', '--restart'],
  ['--rerun', '--restart'],
]

function hinted(message: string): string {
  for (const [given, meant] of SPELLED) if (message === `unknown option '${given}'`) return `${message} (to resume a run: ${meant})`
  return message
}

export async function main(argv: string[]): Promise<number> {
  // `jobtree run` alone is someone finding their way: what run takes, not a complaint about one option.
  if (argv.length === 1 && argv[0] === 'run') {
    program()
      .commands.find((c) => c.name() === 'run')
      ?.outputHelp({ error: true })
    return 2
  }
  try {
    await program().parseAsync(argv, { from: 'user' })
    return typeof process.exitCode === 'number' ? process.exitCode : 0
  } catch (err) {
    if (err instanceof CommanderError) {
      return err.exitCode === 0 ? 0 : 2
    }
    // A system call that failed (no space, no permission) is the machine's doing, not a bug.
    const systemError = typeof (err as NodeJS.ErrnoException | undefined)?.syscall === 'string'
    if (!(err instanceof JobtreeError) && !systemError) {
      // Not the user's doing: a bug in jobtree. Say so, with what is needed to report it.
      process.stderr.write(`jobtree: internal error: ${oneLine(err)} (please report it, with this trace)\n${err instanceof Error ? err.stack : ''}\n`)
      return 70
    }
    process.stderr.write(`jobtree: error: ${printable(oneLine(err))}\n`)
    return err instanceof JobtreeError && err.code === 'WORKFLOW_FAILED' ? 1 : 2
  }
}

process.exitCode = await main(process.argv.slice(2))
