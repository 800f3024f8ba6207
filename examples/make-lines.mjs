#!/usr/bin/env node
// Writes N random lines of letters and digits: input for examples/sort.ts.
//   node examples/make-lines.mjs <file> <count> [seed]
import { writeFileSync } from 'node:fs'

const [file, countText = '10000', seedText = '1'] = process.argv.slice(2)
if (!file) {
  process.stderr.write('usage: node examples/make-lines.mjs <file> <count> [seed]\n')
  process.exit(2)
}
let seed = Number(seedText) >>> 0 || 1
const next = () => {
  seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0
  return seed / 2 ** 32
}
const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789'
const lines = []
for (let i = 0; i < Number(countText); i++) {
  const length = 1 + Math.floor(next() * 40)
  let line = ''
  for (let j = 0; j < length; j++) line += alphabet[Math.floor(next() * alphabet.length)]
  lines.push(line)
}
writeFileSync(file, lines.join('\n') + '\n')
