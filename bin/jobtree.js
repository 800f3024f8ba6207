#!/usr/bin/env node
// Workflow modules are TypeScript or JavaScript, ES modules or CommonJS; tsx
// (loaded here as `node --import tsx` would load it, and by workers through
// their --import) lets all of them run with no build step.
await import('tsx')
await import('../src/cli/main.ts')
