import type { JobSpec, JobWork, Resources } from '../events/catalogue.ts'
import { JobtreeError } from '../errors.ts'
import { parseSize } from '../sizes.ts'

/** What a job may declare. Sizes are bytes or strings such as '2G'; time is seconds. */
export interface JobOptions {
  cores?: number
  memory?: number | string
  disk?: number | string
  /** Expected run time in seconds. */
  time?: number
  /** Failed attempts allowed before the job fails completely (default: the run's --retry-count). */
  retryCount?: number
}

/** jobTree's and Toil's defaults: one core, 2 GiB of memory and of disk. */
export const DEFAULT_RESOURCES: Resources = { cores: 1, memory: 2 * 2 ** 30, disk: 2 * 2 ** 30, time: 0 }

const KNOWN = new Set(['cores', 'memory', 'disk', 'time', 'retryCount'])

/** Merges options (later ones win) into a job spec, checking every value. */
export function toSpec(work: JobWork, ...layers: Array<JobOptions | undefined>): JobSpec {
  const merged: JobOptions = Object.assign({}, ...layers.filter((l) => l !== undefined))
  for (const key of Object.keys(merged)) {
    if (!KNOWN.has(key)) throw new JobtreeError('BAD_OPTION', `unknown job option ${JSON.stringify(key)} (known: ${[...KNOWN].join(', ')})`, { key })
  }
  const resources: Resources = {
    cores: merged.cores ?? DEFAULT_RESOURCES.cores,
    memory: merged.memory === undefined ? DEFAULT_RESOURCES.memory : parseSize(merged.memory, 'memory'),
    disk: merged.disk === undefined ? DEFAULT_RESOURCES.disk : parseSize(merged.disk, 'disk'),
    time: merged.time ?? DEFAULT_RESOURCES.time,
  }
  if (!(Number.isFinite(resources.cores) && resources.cores > 0)) {
    throw new JobtreeError('BAD_OPTION', `cores must be a number above 0, got ${merged.cores}`, { cores: merged.cores })
  }
  if (!(Number.isFinite(resources.time) && resources.time >= 0)) {
    throw new JobtreeError('BAD_OPTION', `time must be a number of seconds, 0 or more, got ${merged.time}`, { time: merged.time })
  }
  const spec: JobSpec = { work, resources }
  if (merged.disk !== undefined) spec.diskAsked = true
  if (merged.retryCount !== undefined) {
    if (!(Number.isInteger(merged.retryCount) && merged.retryCount >= 0)) {
      throw new JobtreeError('BAD_OPTION', `retryCount must be a whole number, 0 or more, got ${merged.retryCount}`, { retryCount: merged.retryCount })
    }
    spec.retryCount = merged.retryCount
  }
  return spec
}
