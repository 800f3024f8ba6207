import type { Command } from 'commander'
import { depth, eventTypes, exportArgs, jobId, moment, seqNumber } from './options.ts'
import { lazily } from './lazily.ts'

// The commands that question a store's log: replay, events, stats, files. Each
// reads the log directly, or asks the running leader when one holds it; its
// module is imported when it runs (lazily.ts).

export function addAuditCommands(cli: Command): void {
  cli
    .command('replay')
    .description("the run as it stood after any event: its job tree, one job's history, a walk through the log, or a determinism check")
    .argument('<store>', 'store directory')
    .option('--to <seq>', 'stop after this event (default: the last)', seqNumber)
    .option('--at <time>', 'stop at this time: ISO 8601, ms since 1970, or +DURATION into the run (+90s, +2m)', moment)
    .option('--job <id>', 'the whole history of one job, with its parents', jobId)
    .option('--step', 'walk the log event by event (in a terminal)')
    .option('--verify', 're-run decide over the recorded inputs and check it gives back the recorded events')
    .option('--depth <n>', 'print the tree down to this depth', depth)
    .option('--json', 'print JSON')
    .action(lazily(async () => (await import('./replayCommand.ts')).replayCommand))

  cli
    .command('events')
    .description('the log as JSON lines, one event a line, with its sequence number')
    .argument('<store>', 'store directory')
    .option('--from <seq>', 'first event (default 1)', seqNumber)
    .option('--to <seq>', 'last event', seqNumber)
    .option('--type <types>', 'only these event types (comma-separated; may be repeated)', eventTypes)
    .option('--job <id>', 'only the events of this job', jobId)
    .option('--follow', 'keep printing events as they are appended, until the run finishes')
    .action(lazily(async () => (await import('./eventsCommand.ts')).eventsCommand))

  cli
    .command('stats')
    .description('wall time, CPU time, waiting time and memory per target; totals; the critical path')
    .argument('<store>', 'store directory')
    .option('--json', 'print JSON')
    .action(lazily(async () => (await import('./statsCommand.ts')).statsCommand))

  cli
    .command('files')
    .description("the files in a run's store (at the end, or after an event), or a copy of one out of it")
    .argument('<store>', 'store directory')
    .option('--to <seq>', 'the files as they stood after this event', seqNumber)
    .option('--export <id-and-dest...>', 'copy the file with this id to dest: --export ID DEST (checked against its size and SHA-256)', exportArgs)
    .option('--force', 'with --export, replace a file already at dest')
    .option('--json', 'print JSON')
    .action(lazily(async () => (await import('./filesCommand.ts')).filesCommand))
}
