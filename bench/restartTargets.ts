// The workflow module of the synthetic store bench/restart.ts builds: the
// store names it, and a restarted leader's workers import it.
import { target } from '../src/index.ts'

export const benchNode = target<number, number>('benchNode', { cores: 1, memory: '1M', disk: '1M' }, (_ctx, n) => n)
