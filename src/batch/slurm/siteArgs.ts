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

// sbatch reads its options with getopt_long, and so must this check, or a
// site option could set what jobtree controls in a form it did not foresee:
// any unambiguous prefix of a long option (`--ou=x`), short options grouped
// (`-vJname`, `-Jname`), and a word after an option that takes no argument
// (`--exclusive /x.sh`), which sbatch takes as its batch script.

/** Short options that take no argument (sbatch 22.05, `sbatch --help`); every other one takes one. */
export const SHORT_FLAGS: ReadonlySet<string> = new Set(['H', 'I', 'k', 'O', 'Q', 's', 'v', 'W', 'h', 'V', 'u'])

/**
 * Long options whose argument may be the next word (required arguments).
 * An option not named here takes no argument or only `--name=value`, so the
 * word after it is refused: fail closed, with a message saying to write
 * `--name=value`.
 */
const TAKES_VALUE_NAMES =
  'account acctg-freq array batch bb bbf begin chdir cluster-constraint clusters comment constraint container core-spec ' +
  'cores-per-socket cpu-freq cpus-per-gpu cpus-per-task deadline delay-boot dependency distribution error exclude export-file ' +
  'extra-node-info gid gpu-bind gpu-freq gpus gpus-per-node gpus-per-socket gpus-per-task gres gres-flags hint input job-name ' +
  'licenses mail-type mail-user mcs-label mem mem-bind mem-per-cpu mem-per-gpu mincpus network nodefile nodelist nodes ntasks ' +
  'ntasks-per-core ntasks-per-gpu ntasks-per-node ntasks-per-socket output partition power prefer priority profile qos reservation ' +
  'signal sockets-per-node switches thread-spec threads-per-core time time-min tmp uid wckey'
export const TAKES_VALUE: ReadonlySet<string> = new Set(TAKES_VALUE_NAMES.split(' '))

/** Throws BAD_OPTION unless `words` are sbatch options jobtree can let the site set (they may come from run() as well as the CLI). */
export function checkSiteArgs(words: readonly unknown[]): void {
  if (!Array.isArray(words) || !words.every((word) => typeof word === 'string')) {
    throw new JobtreeError('BAD_OPTION', `--slurm-args must be a list of words (strings), got ${JSON.stringify(words)}`)
  }
  const list = words as readonly string[]
  for (let i = 0; i < list.length; i++) {
    const word = list[i] as string
    const takesNext = word.startsWith('--') ? longOption(word) : word.startsWith('-') && word.length > 1 ? shortOptions(word) : positional(word, list[i - 1])
    if (takesNext) i += 1
  }
}

function refuse(reserved: string, word: string): never {
  throw new JobtreeError('BAD_OPTION', `--slurm-args may not set --${reserved}: ${RESERVED[reserved]}`, { word })
}

function positional(word: string, after?: string): never {
  const hint = after?.startsWith('--') === true && !after.includes('=') ? `; if it is the value of ${after}, write ${after}=${word}` : ''
  throw new JobtreeError('BAD_OPTION', `--slurm-args takes sbatch options only, got ${JSON.stringify(word)} (write --partition=short or -p short${hint})`, {
    word,
  })
}

/** Checks `--name[=value]`; true when the next word is its value. */
function longOption(word: string): boolean {
  // A bare `--` ends sbatch's options: what follows would be its batch script.
  if (word === '--') positional(word)
  const eq = word.indexOf('=')
  const name = word.slice(2, eq < 0 ? undefined : eq)
  // getopt takes a prefix for the one option it begins; a prefix of several is an error of sbatch's own, so refusing it loses nothing.
  const reserved = Object.keys(RESERVED).find((full) => full === name || (full.startsWith(name) && !TAKES_VALUE.has(name)))
  if (reserved !== undefined) refuse(reserved, word)
  if (eq >= 0) return false
  return [...TAKES_VALUE].some((option) => option.startsWith(name))
}

/** Checks `-abc` as getopt reads it; true when the last option in it takes the next word as its value. */
function shortOptions(word: string): boolean {
  for (let at = 1; at < word.length; at++) {
    const letter = word[at] as string
    const reserved = SHORT[letter]
    if (reserved !== undefined) refuse(reserved, word)
    // The rest of the word is this option's value; at the end of the word, the next word is.
    if (!SHORT_FLAGS.has(letter)) return at === word.length - 1
  }
  return false
}
