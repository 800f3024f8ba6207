#!/usr/bin/env node
// Workflow modules are TypeScript or JavaScript; tsx lets both run with no
// build step, in the leader and (through the worker's --import) in workers.
import { register } from 'tsx/esm/api'

register()
await import('../src/cli/main.ts')
