import type { EventSource } from '../audit/eventSource.ts'
import type { FoldRange } from '../audit/fold.ts'
import { verifyLog } from '../audit/verify.ts'
import { toJson } from '../events/json.ts'

/** `jobtree replay --verify`: exit code 0 when decide reproduces the log, 1 when it does not. */
export async function verifyCommand(source: EventSource, range: FoldRange, json: boolean): Promise<number> {
  const result = await verifyLog(source, range)
  const d = result.divergence
  if (json) {
    process.stdout.write(toJson({ store: source.paths.root, ok: d === null, ...result }) + '\n')
  } else if (d === null) {
    process.stdout.write(`verified: ${result.events} events from ${result.inputs} inputs; decide gives back every recorded decision\n`)
  } else {
    const lines = [
      `verify failed at event ${d.seq}${d.recorded ? ` (${d.recorded.type})` : ''}: ${d.why}`,
      `  the ${result.events} events before it were verified (${result.inputs} inputs)`,
      `  recorded: ${d.recorded ? toJson(d.recorded) : '(nothing)'}`,
      `  decided:  ${d.decided ? toJson(d.decided) : '(nothing)'}`,
    ]
    if (d.input) lines.push(`  input:    ${toJson(d.input)}`)
    process.stdout.write(lines.join('\n') + '\n')
  }
  return d === null ? 0 : 1
}
