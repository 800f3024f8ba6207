import { JobtreeError } from '../errors.ts'

// An option's value given as several words in one argument (`--slurm-args
// "-p short --comment='two words'"`): split the way a POSIX shell splits
// words, with quotes and backslashes, but nothing is expanded ($, `, *, ~
// stay literal), since no shell ever sees them.

/** Splits `text` into words; throws BAD_OPTION naming the problem, and `flag`. */
export function shellWords(text: string, flag: string): string[] {
  const words: string[] = []
  let word = ''
  let inWord = false
  for (let i = 0; i < text.length; i++) {
    const c = text[i]
    if (c === "'") {
      const end = text.indexOf("'", i + 1)
      if (end === -1) throw unbalanced(text, "'", flag)
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
      if (i >= text.length) throw unbalanced(text, '"', flag)
      inWord = true
    } else if (c === '\\') {
      if (i + 1 >= text.length) throw new JobtreeError('BAD_OPTION', `${flag} ends with a lone backslash: ${JSON.stringify(text)}`)
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

function unbalanced(text: string, quote: string, flag: string): JobtreeError {
  return new JobtreeError('BAD_OPTION', `${flag} has an unclosed ${quote}: ${JSON.stringify(text)}`)
}
