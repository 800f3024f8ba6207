import { JobtreeError } from '../../errors.ts'

// `--slurm-args "…"`: the site's sbatch options (partition, account, QoS, …)
// as argv words (split by cli/shellWords.ts, or given to run() as a list).
// No shell ever sees them: they go to sbatch as arguments.

/** Options jobtree itself must control: it finds its jobs by name and reads their results its own way. */
const RESERVED: Record<string, string> = {
  'job-name': 'jobtree names every job after its run (jobtree-<run id>) to find it again',
  wrap: 'jobtree gives sbatch its own batch script',
  array: 'jobtree submits each job (or pack of short jobs) on its own',
  output: "jobtree keeps each Slurm job's output in the store",
  error: "jobtree keeps each Slurm job's output in the store",
  requeue: 'jobtree reissues failed jobs itself and must see each Slurm job end',
  parsable: "jobtree reads sbatch's answer itself",
  clusters: 'jobtree follows its jobs on the local cluster only',
}
const SHORT: Record<string, string> = { J: 'job-name', a: 'array', o: 'output', e: 'error', M: 'clusters' }

/** Throws BAD_OPTION unless `words` are sbatch options jobtree can let the site set (they may come from run() as well as the CLI). */
export function checkSiteArgs(words: readonly unknown[]): void {
  if (!Array.isArray(words) || !words.every((word) => typeof word === 'string')) {
    throw new JobtreeError('BAD_OPTION', `--slurm-args must be a list of words (strings), got ${JSON.stringify(words)}`)
  }
  words.forEach((word: string, i) => {
    const reserved = reservedOption(word)
    if (reserved !== undefined) {
      throw new JobtreeError('BAD_OPTION', `--slurm-args may not set --${reserved}: ${RESERVED[reserved]}`, { word })
    }
    // A word that is no option and no option's value would be taken by sbatch as the batch script.
    const previous = words[i - 1]
    const isValue = previous?.startsWith('-') === true && !previous.includes('=')
    if (!word.startsWith('-') && !isValue) {
      throw new JobtreeError('BAD_OPTION', `--slurm-args takes sbatch options only, got ${JSON.stringify(word)} (write --partition=short or -p short)`, {
        word,
      })
    }
  })
}

function reservedOption(word: string): string | undefined {
  if (word.startsWith('--')) {
    const name = word.slice(2).split('=')[0]
    // sbatch, through getopt, accepts any unambiguous prefix of a long option.
    if (name.length < 3) return undefined
    return Object.keys(RESERVED).find((full) => full.startsWith(name))
  }
  if (word.startsWith('-') && word.length >= 2) return SHORT[word[1]]
  return undefined
}
