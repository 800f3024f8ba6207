import { parseArgs } from 'node:util'

// The options every bench entry point takes: `--quick` (small sizes, one run
// each) and `--repeat N` (runs per figure, medians; 3 by default).

export function benchOptions(): { quick: boolean; repeat: number } {
  const { values } = parseArgs({
    options: { quick: { type: 'boolean', default: false }, repeat: { type: 'string' } },
  })
  const quick = values.quick === true
  return { quick, repeat: Number(values.repeat ?? (quick ? 1 : 3)) }
}
