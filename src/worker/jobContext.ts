import type { JobContext, JobHandle, Resolvable, Target } from '../workflow/context.ts'
import type { JobOptions } from '../workflow/options.ts'
import { toSpec } from '../workflow/options.ts'
import { lookupTarget } from '../workflow/target.ts'
import type { JobSpec, SuccessorSpec } from '../events/catalogue.ts'
import { encodeForLog } from '../events/codec.ts'
import { makeToken } from '../events/promise.ts'
import { JobtreeError } from '../errors.ts'
import type { FileStore } from '../files/attemptFiles.ts'

// What a target sees while it runs in a worker. It records the successors
// the attempt adds, in call order; they are reported only if the attempt
// succeeds.

export class WorkerJobContext implements JobContext {
  readonly successors: SuccessorSpec[] = []

  constructor(
    readonly jobId: number,
    readonly attempt: number,
    private readonly makeTempDir: () => string,
    readonly globalDir: string,
    private readonly messages: string[],
    readonly files: FileStore,
  ) {}

  get tempDir(): string {
    return this.makeTempDir()
  }

  log(message: string): void {
    this.messages.push(String(message))
  }

  addChild<I, O>(target: Target<I, O>, input: Resolvable<I>, options?: JobOptions): JobHandle<O> {
    return this.add('child', targetSpec(target, input, options))
  }

  addFollowOn<I, O>(target: Target<I, O>, input: Resolvable<I>, options?: JobOptions): JobHandle<O> {
    return this.add('followOn', targetSpec(target, input, options))
  }

  addChildCommand(command: string | string[], options?: JobOptions): JobHandle<number> {
    return this.add('child', commandSpec(command, options))
  }

  addFollowOnCommand(command: string | string[], options?: JobOptions): JobHandle<number> {
    return this.add('followOn', commandSpec(command, options))
  }

  private add<O>(relation: SuccessorSpec['relation'], spec: JobSpec): JobHandle<O> {
    // The leader rewrites `local` (the successor's position) to the job id it creates.
    const local = this.successors.length
    this.successors.push({ relation, spec })
    return { rv: (...path: Array<string | number>) => makeToken({ local, path }) }
  }
}

function targetSpec<I, O>(target: Target<I, O>, input: Resolvable<I>, options: JobOptions | undefined): JobSpec {
  // Guards for JavaScript callers, whom the types do not hold back.
  const given: unknown = target
  if (typeof given !== 'object' || given === null || typeof target.name !== 'string') {
    throw new JobtreeError(
      'BAD_INPUT',
      `a successor must be a target made with target(), got ${typeof given === 'function' ? 'a plain function' : String(given)}`,
    )
  }
  const { name } = target
  if (lookupTarget(name) !== target) {
    throw new JobtreeError('UNKNOWN_TARGET', `target ${name} is not the one registered under that name (made by hand, or by another copy of jobtree?)`, {
      name,
    })
  }
  // Checked now, so that the error points at the call that added it.
  encodeForLog(input, `the input given to target ${name}`)
  return toSpec({ kind: 'target', target: name, input }, target.options, options)
}

function commandSpec(command: string | string[], options: JobOptions | undefined): JobSpec {
  const ok =
    typeof command === 'string' ? command.trim() !== '' : Array.isArray(command) && command.length > 0 && command.every((arg) => typeof arg === 'string')
  if (!ok) throw new JobtreeError('BAD_INPUT', `a command must be a non-empty string or a non-empty array of strings, got ${JSON.stringify(command)}`)
  return toSpec({ kind: 'command', command }, options)
}
