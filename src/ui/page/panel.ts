import type { JobPanel } from '../protocol.ts'
import { duration, size } from '../../units.ts'
import { clock, el } from './format.ts'
import { STATE_LABEL } from './treeView.ts'

// A job's panel: where it sits, its input and value, its attempts and why
// they failed, the tail of its log, and every event that touched it.

export function renderPanel(into: HTMLElement, job: JobPanel, firstAt: number, select: (id: number) => void): void {
  into.replaceChildren()
  into.dataset.job = String(job.id)
  const title = el('h2', `Job ${job.id}: ${job.name} `)
  title.appendChild(el('span', STATE_LABEL[job.state], `s-${job.state}`))
  into.appendChild(title)

  const kv = el('dl', '', 'kv')
  const add = (key: string, value: string | Node) => {
    kv.appendChild(el('dt', key))
    const dd = el('dd')
    dd.append(value)
    kv.appendChild(dd)
  }
  const line = document.createElement('span')
  job.ancestry.slice(1).forEach((a, i) => {
    if (i > 0) line.append(' ← ')
    const link = el('a', `${a.id} ${a.name}`)
    link.href = '#'
    link.addEventListener('click', (e) => {
      e.preventDefault()
      select(a.id)
    })
    line.appendChild(link)
  })
  const relation = job.ancestry[0]?.relation
  add('place', relation === 'root' ? 'the root' : relation === 'followOn' ? 'follow-on of ' : 'child of ')
  if (relation !== 'root') kv.lastElementChild?.appendChild(line)
  if (job.input !== '') add('input', job.input)
  if (job.value !== null) add('value', job.value)
  add('log file', job.logFile)
  into.appendChild(kv)

  into.appendChild(el('h3', `Attempts (${job.attempts.length})`))
  if (job.attempts.length === 0) into.appendChild(el('p', 'not issued yet', 'hint'))
  else {
    const table = el('table')
    table.appendChild(headRow(['#', 'outcome', 'issued', 'wall', 'CPU', 'memory', 'reason']))
    for (const a of job.attempts) {
      const tr = el('tr')
      const cells = [
        String(a.attempt),
        a.outcome === 'out' ? 'running' : a.outcome,
        `+${duration(a.issuedAt - firstAt)}`,
        a.wallMs === null ? '-' : duration(a.wallMs),
        a.cpuMs === null ? '-' : duration(a.cpuMs),
        a.maxRss === null ? '-' : size(a.maxRss),
        a.reason ?? '',
      ]
      for (const c of cells) tr.appendChild(el('td', c))
      if (a.outcome === 'failed') tr.className = 's-failed'
      table.appendChild(tr)
    }
    into.appendChild(table)
  }

  into.appendChild(el('h3', 'Log tail (the file as it is now)'))
  into.appendChild(el('pre', job.logTail === '' ? '(empty)' : job.logTail, 'log'))

  into.appendChild(el('h3', `Events (${job.events.length})`))
  const events = el('table', '', 'events')
  for (const e of job.events) {
    const tr = el('tr')
    tr.append(el('td', `#${e.seq}`), el('td', `+${duration(e.at - firstAt)}`), el('td', e.text))
    tr.title = clock(e.at)
    events.appendChild(tr)
  }
  into.appendChild(events)
}

function headRow(names: string[]): HTMLTableRowElement {
  const tr = el('tr')
  for (const n of names) tr.appendChild(el('th', n))
  return tr
}
