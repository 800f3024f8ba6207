import { target, type FileId } from '../src/index.ts'

// The file store's bench (bench/fileStore.ts): one job copies local files
// into the store, its follow-on reads every one back through the store
// (size and SHA-256 checked); each says how long its part took.

export const readAll = target('readAll', { memory: '512M', disk: '1M' }, async (ctx, input: { files: FileId[]; writeMs: number }) => {
  const started = performance.now()
  let bytes = 0
  for (const id of input.files) for await (const chunk of ctx.files.readStream(id)) bytes += (chunk as Buffer).length
  return { writeMs: input.writeMs, readMs: performance.now() - started, bytes }
})

export const copyIn = target('copyIn', { memory: '512M', disk: '1M' }, async (ctx, input: { paths: string[] }) => {
  const started = performance.now()
  const files: FileId[] = []
  for (const path of input.paths) files.push(await ctx.files.write(path))
  return ctx.addFollowOn(readAll, { files, writeMs: performance.now() - started }).rv()
})
