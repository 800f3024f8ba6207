import type { Counts, RowsMessage, RunInfo } from '../protocol.ts'
import { duration } from '../../units.ts'
import { apiUrl, fetchCharts, fetchJob, fetchRows } from './api.ts'
import { renderCharts } from './charts.ts'
import { clock, el } from './format.ts'
import { renderPanel } from './panel.ts'
import { TreeModel } from './treeModel.ts'
import { STATE_LABEL, TreeView } from './treeView.ts'

// The page: the tree at one position of the log, either following the run
// (live: the server's deltas over server-sent events) or where the timeline
// was put (the URL's #seq=N, so that a link shows the same moment). The
// page holds the rows at `seq`; every move, live or not, is the rows that
// changed between where it is and where it goes.

const $ = <T extends HTMLElement = HTMLElement>(id: string) => document.getElementById(id) as T

const model = new TreeModel()
const view = new TreeView(model, $('tree'), $('tree-space'), select)
const scrub = $<HTMLInputElement>('scrub')

/** The position the page shows (-1: nothing yet), and where it is going: null for live. */
let seq = -1
let want: number | null = null
let busy = false
/** A live message came while a move was under way: the move goes on to the newest state. */
let missed = false
let run: RunInfo | null = null
let lastSeq = 0
let selected = -1
let panelTimer: number | undefined
let chartsShownAt = -1
/** The counts at the position shown. */
let counts: Counts | null = null

function apply(msg: RowsMessage): void {
  if (msg.since === null) model.clear()
  for (const id of msg.removed) model.remove(id)
  for (const row of msg.rows) model.set(row)
  seq = msg.seq
  run = msg.run
  lastSeq = Math.max(lastSeq, msg.run.lastSeq, msg.seq)
  counts = msg.counts
  showHeader(msg.counts)
  showPosition(msg)
  showFailed()
  view.schedule()
  if (selected >= 0 && (msg.since === null || msg.rows.some((r) => r[0] === selected) || want !== null)) refreshPanel()
}

/** Moves to `want` (or to the run's newest state), one request at a time. */
async function settle(): Promise<void> {
  if (busy) return
  busy = true
  try {
    for (;;) {
      const target = want
      if (target !== null && target === seq) break
      missed = false
      apply(await fetchRows(target, seq >= 0 ? seq : null))
      if (target === null && want === null && !missed) break
    }
  } catch (err) {
    banner(`cannot reach the jobtree ui server: ${(err as Error).message}`)
  } finally {
    busy = false
  }
  loadCharts()
}

function onLiveRows(msg: RowsMessage): void {
  lastSeq = Math.max(lastSeq, msg.seq)
  if (want !== null || busy) {
    missed = busy
    scrub.max = String(lastSeq)
    return
  }
  if (msg.seq <= seq) return
  // The message holds every row that changed from `since` to its end: good for any position in between.
  if (msg.since !== null && msg.since <= seq) apply(msg)
  else void settle()
  loadCharts()
}

function showHeader(c: Counts): void {
  const r = run
  if (r === null) return
  $('run-name').textContent = `${r.target} · run ${r.runId.slice(0, 8)} · ${r.store}`
  const pill = $('leader')
  pill.className = `pill ${r.leader}`
  pill.textContent = r.leader === 'running' ? `leader ${r.epoch} running` : r.leader === 'gone' ? 'leader gone' : r.ok ? 'finished' : 'finished with failures'
  if (r.leader === 'gone')
    banner(
      `No leader is running this run (leader ${r.epoch} stopped before the end): the page shows where it stopped and follows the next leader (jobtree run … --restart).`,
    )
  else banner('')
  const retrying = model.inState.get('retrying') ?? 0
  const chips: Array<[string, string, number]> = [
    ['total', 'jobs', c.total],
    ['done', STATE_LABEL.done, c.succeeded],
    ['running', STATE_LABEL.running, c.issued],
    ['ready', STATE_LABEL.ready, c.ready],
    ['waiting', STATE_LABEL.waiting, c.waiting],
    ['retrying', STATE_LABEL.retrying, retrying],
    ['failed', STATE_LABEL.failed, c.failed],
  ]
  const box = $('counts')
  box.replaceChildren()
  for (const [key, label, n] of chips) {
    const chip = el('span', '', 'count')
    chip.id = `count-${key}`
    chip.dataset.value = String(n)
    if (key !== 'total') chip.appendChild(el('span', '', `dot b-${key}`))
    chip.append(el('b', n.toLocaleString('en')), ` ${label}`)
    box.appendChild(chip)
  }
  const bar = $('progress-bar')
  bar.replaceChildren()
  const total = Math.max(1, c.total)
  for (const [state, n] of [
    ['done', c.succeeded],
    ['running', c.issued],
    ['failed', c.failed],
  ] as const) {
    const part = el('span', '', `b-${state}`)
    part.style.width = `${(100 * n) / total}%`
    bar.appendChild(part)
  }
  bar.title = `${Math.round((100 * c.succeeded) / total)}% done`
}

function showPosition(msg: RowsMessage): void {
  scrub.max = String(lastSeq)
  scrub.value = String(msg.seq)
  $('live').classList.toggle('on', want === null)
  const firstAt = msg.run.firstAt
  const where = msg.seq === 0 ? 'before the first event' : `event ${msg.seq} of ${lastSeq} · ${clock(msg.at)} · +${duration(msg.at - firstAt)}`
  const what = msg.event === null ? '' : ` · ${msg.event.type}: ${msg.event.text}`
  const position = $('position')
  position.textContent = `${want === null ? 'live · ' : ''}${where}${what}`
  position.title = position.textContent
  position.dataset.seq = String(msg.seq)
}

function showFailed(): void {
  const box = $('failed')
  const ids = [...model.failed].sort((a, b) => a - b)
  box.hidden = ids.length === 0
  if (ids.length === 0) return
  box.replaceChildren(el('h3', `Failed completely (${ids.length})`))
  for (const id of ids.slice(0, 100)) {
    const link = el('a', `${id} ${model.name[id]}: ${model.failures[id]} failed attempt(s)`)
    link.dataset.id = String(id)
    link.addEventListener('click', () => select(id))
    box.appendChild(link)
  }
  if (ids.length > 100) box.appendChild(el('p', `and ${ids.length - 100} more`, 'hint'))
}

function banner(text: string): void {
  const b = $('banner')
  b.hidden = text === ''
  b.textContent = text
}

function select(id: number): void {
  if (!model.has(id)) return
  selected = id
  view.selected = id
  view.scrollTo(id)
  writeHash()
  refreshPanel(true)
}

/** The selected job's panel, at most once a second while the run changes it. */
function refreshPanel(now = false): void {
  if (panelTimer !== undefined && !now) return
  clearTimeout(panelTimer)
  panelTimer = window.setTimeout(() => (panelTimer = undefined), 1000)
  const id = selected
  fetchJob(id, want).then(
    (job) => {
      if (id === selected) renderPanel($('panel'), job, run?.firstAt ?? 0, select)
    },
    (err: Error) => {
      if (id === selected) $('panel').replaceChildren(el('p', err.message, 'hint'))
    },
  )
}

function loadCharts(): void {
  if (chartsShownAt === seq) return
  chartsShownAt = seq
  fetchCharts(want).then(
    (c) => {
      view.critical = new Set(c.criticalPath.steps.map((s) => s.jobId))
      renderCharts($('charts'), c, select)
      view.schedule()
    },
    () => undefined,
  )
}

function goTo(target: number | null): void {
  want = target === null ? null : Math.max(0, Math.min(lastSeq, target))
  writeHash()
  void settle()
}

function writeHash(): void {
  const parts = [want === null ? '' : `seq=${want}`, selected >= 0 ? `job=${selected}` : ''].filter((p) => p !== '')
  const hash = parts.length === 0 ? '' : `#${parts.join('&')}`
  if (location.hash !== hash) history.replaceState(null, '', `${location.pathname}${location.search}${hash}`)
}

function readHash(): { seq: number | null; job: number } {
  const params = new URLSearchParams(location.hash.slice(1))
  const s = params.get('seq')
  const j = params.get('job')
  return { seq: s !== null && /^\d+$/.test(s) ? Number(s) : null, job: j !== null && /^\d+$/.test(j) ? Number(j) : -1 }
}

scrub.addEventListener('input', () => goTo(Number(scrub.value)))
$('back').addEventListener('click', () => goTo((want ?? seq) - 1))
$('forward').addEventListener('click', () => goTo((want ?? seq) + 1))
$('live').addEventListener('click', () => goTo(null))
$('find').addEventListener('change', (e) => select(Number((e.target as HTMLInputElement).value)))
document.addEventListener('keydown', (e) => {
  if (e.target instanceof HTMLInputElement) return
  if (e.key === 'ArrowLeft') goTo((want ?? seq) - 1)
  else if (e.key === 'ArrowRight') goTo((want ?? seq) + 1)
  else return
  e.preventDefault()
})
window.addEventListener('hashchange', () => {
  const h = readHash()
  if (h.seq !== want) goTo(h.seq)
  if (h.job >= 0 && h.job !== selected) select(h.job)
})

async function start(): Promise<void> {
  const h = readHash()
  want = h.seq
  lastSeq = h.seq ?? 0
  await settle()
  if (h.job >= 0) select(h.job)
  const events = new EventSource(apiUrl('/events'))
  let opened = false
  events.addEventListener('open', () => {
    // A reconnection may have missed messages: catch up.
    if (opened) void settle()
    opened = true
  })
  events.addEventListener('rows', (e) => onLiveRows(JSON.parse((e as MessageEvent).data) as RowsMessage))
  events.addEventListener('run', (e) => {
    const info = JSON.parse((e as MessageEvent).data) as RunInfo
    lastSeq = Math.max(lastSeq, info.lastSeq)
    if (run !== null) run = { ...run, leader: info.leader, epoch: info.epoch }
    scrub.max = String(lastSeq)
    if (want === null && info.lastSeq > seq) void settle()
    else if (counts !== null) showHeader(counts)
  })
  events.addEventListener('resync', () => void settle())
  events.addEventListener('failure', (e) =>
    banner(`The server stopped following the run: ${(JSON.parse((e as MessageEvent).data) as { message: string }).message}`),
  )
}

void start()
