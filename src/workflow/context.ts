import type { RvToken } from '../events/promise.ts'
import type { JobOptions } from './options.ts'
import type { FileStore } from '../files/attemptFiles.ts'

// The types a workflow is written against: a target, what it sees while it
// runs, and the promises of other jobs' values it may pass on. They refer to
// each other (a target's function takes a context, whose addChild takes a
// target), so they live in one file.

/** A placeholder for a job's return value (or a part of it), resolved before a consumer runs. */
export type Promised<T> = RvToken & { readonly __value?: T }

/** A value, or a promise of it, or a structure whose parts may be promises. */
export type Resolvable<T> =
  | T
  | Promised<T>
  | (T extends readonly unknown[] ? { [K in keyof T]: Resolvable<T[K]> } : T extends object ? { [K in keyof T]: Resolvable<T[K]> } : never)

export interface JobHandle<O> {
  /** The job's return value, or with a path, a part of it: rv('files', 0). */
  rv(): Promised<O>
  rv<K extends keyof O>(key: K): Promised<O[K]>
  rv<T = unknown>(...path: Array<string | number>): Promised<T>
}

/** What a running target sees. */
export interface JobContext {
  readonly jobId: number
  /** 1 for the first attempt, then 2, 3, … */
  readonly attempt: number
  /** A fresh, empty, private directory for this attempt; removed after it. */
  readonly tempDir: string
  /** A directory shared by every job of the run (inside the store); nothing tracks what is in it: see `files`. */
  readonly globalDir: string
  /** The run's file store: files written here travel between jobs as ids, and are kept only while a job may read them. */
  readonly files: FileStore
  /** Sends a message to the leader: recorded in the log and printed by the leader. */
  log(message: string): void
  /** A job that starts after this one succeeds. */
  addChild<I, O>(target: Target<I, O>, input: Resolvable<I>, options?: JobOptions): JobHandle<O>
  /** A job that starts after this one and everything reachable through its children have finished. */
  addFollowOn<I, O>(target: Target<I, O>, input: Resolvable<I>, options?: JobOptions): JobHandle<O>
  /** A shell command (a string run by /bin/sh, or an argv array) as a child job; its value is its exit code. */
  addChildCommand(command: string | string[], options?: JobOptions): JobHandle<number>
  /** A shell command as a follow-on job. */
  addFollowOnCommand(command: string | string[], options?: JobOptions): JobHandle<number>
}

/** A job function. It may return a promise token (a successor's rv()) in place of a value. */
export type TargetFn<I, O> = (ctx: JobContext, input: I) => Resolvable<O> | Promise<Resolvable<O>>

export interface Target<I = unknown, O = unknown> {
  readonly name: string
  readonly options: JobOptions
  readonly fn: TargetFn<I, O>
  /** The file that defined the target, when it could be told from the call stack. */
  readonly module: string | undefined
}
