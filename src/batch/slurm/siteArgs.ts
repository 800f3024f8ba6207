import { JobtreeError } from '../../errors.ts'

// `--slurm-args "…"`: the site's sbatch options (partition, account, QoS, …)
// as argv words. They are split the way a POSIX shell splits words, with
// quotes and backslashes, but nothing is expanded ($, `, *, ~ stay literal)
// and no shell ever sees them: they go to sbatch as arguments.

/** Options jobtree itself must control: it finds its jobs by name and reads their results its own way. */
const RESERVED: Record<string, string> = {
  'job-name': 'jobtree names every job after its run (jobtree-<run id>) to find it again',
  wrap: 'jobtree gives sbatch its own batch script',
  array: 'jobtree submits each job (or pack of short jobs) on its own',
  output: 'jobtree keeps each Slurm job\'s output in the store',
  error: 'jobtree keeps each Slurm job\'s output in the store',
  requeue: 'jobtree reissues failed jobs itself and must see each Slurm job end',
  parsable: 'jobtree reads sbatch\'s answer itself',
  clusters: 'jobtree follows its jobs on the local cluster only',
}
const SHORT: Record<string, string> = { J: 'job-name', a: 'array', o: 'output', e: 'error', M: 'clusters' }

/** Splits `text` into words; throws BAD_OPTION naming the problem. */
export function parseSiteArgs(text: string): string[] {
  const words = splitWords(text)
  checkSiteArgs(words)
  return words
}

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
    const isValue = previous !== undefined && previous.startsWith('-') && !previous.includes('=')
    if (!word.startsWith('-') && !isValue) {
      throw new JobtreeError('BAD_OPTION', `--slurm-args takes sbatch options only, got ${JSON.stringify(word)} (write --partition=short or -p short)`, { word })
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

function splitWords(text: string): string[] {
  const words: string[] = []
  let word = ''
  let inWord = false
  for (let i = 0; i < text.length; i++) {
    const c = text[i]
    if (c === "'") {
      const end = text.indexOf("'", i + 1)
      if (end === -1) throw unbalanced(text, "'")
      word += text.slice(i + 1, end)
      i = end
      inWord = true
    } else if (c === '"') {
      i += 1
      for (; i < text.length && text[i] !== '"'; i++) {
        // Inside double quotes a backslash escapes only what a shell lets it escape.
        if (text[i] === '\\' && '"\\$`'.includes(text[i + 1] ?? '')) i += 1
        word += text[i]
      }
      if (i >= text.length) throw unbalanced(text, '"')
      inWord = true
    } else if (c === '\\') {
      if (i + 1 >= text.length) throw new JobtreeError('BAD_OPTION', `--slurm-args ends with a lone backslash: ${JSON.stringify(text)}`)
      word += text[++i]
      inWord = true
    } else if (/\s/.test(c)) {
      if (inWord) words.push(word)
      word = ''
      inWord = false
    } else {
      word += c
      inWord = true
    }
  }
  if (inWord) words.push(word)
  return words
}

function unbalanced(text: string, quote: string): JobtreeError {
  return new JobtreeError('BAD_OPTION', `--slurm-args has an unclosed ${quote}: ${JSON.stringify(text)}`)
}
