import type { Spread } from '../../audit/stats.ts'
import { duration, isoTime, size } from '../../units.ts'
import { html, Markup, scriptJson } from './html.ts'
import { GANTT_STRIDE, type ReportData } from './reportData.ts'
import { REPORT_SCRIPT } from './reportScript.ts'
import { REPORT_CSS } from './reportStyle.ts'
import { criticalPathSection, failuresSection } from './reportSections.ts'

// The report as one HTML page: its style, data and script inline, so that
// the file alone shows it, offline, wherever it is copied.

export function renderReport(d: ReportData): string {
  const s = d.status
  const title = s.runId === '' ? 'jobtree report' : `jobtree report: ${s.module.split('/').at(-1) ?? s.module} --target ${s.target}`
  const page = html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:">
<title>${title}</title>
<style>${new Markup(REPORT_CSS)}</style>
</head>
<body>
<header>
<h1>${title}</h1>
<div class="sub">${s.module || 'no run recorded yet'}${s.runId ? ` · run ${s.runId}` : ''} · store ${d.store}</div>
</header>
<main>
${banner(d)}
${summary(d)}
${timeline(d)}
${targets(d)}
${criticalPathSection(d)}
${failuresSection(d)}
<footer>Made by <code>jobtree report</code> at ${when(d.generatedAt)} from ${d.store}, events 1 to ${d.seq}.
This file holds everything it shows: it fetches nothing, from the network or the disk.</footer>
</main>
<script type="application/json" id="gantt-data">${scriptJson({ ...d.gantt, live: d.live })}</script>
<script>${new Markup(REPORT_SCRIPT)}</script>
</body>
</html>
`
  return page.text
}

interface State {
  cls: 'complete' | 'failed' | 'running' | 'stopped'
  label: string
  detail: string
}

function runState(d: ReportData): State {
  const s = d.status
  const c = s.counts
  if (s.runId === '') return { cls: 'stopped', label: 'not started', detail: 'the log records no run yet' }
  if (s.complete && s.ok) return { cls: 'complete', label: 'complete', detail: 'every job succeeded' }
  if (s.complete) return { cls: 'failed', label: 'failed', detail: `${c.failed} job(s) failed completely, ${c.waiting} blocked by them` }
  if (d.live) return { cls: 'running', label: 'still running', detail: `a leader is working on it: ${c.issued} issued, ${c.ready + c.waiting} still to run` }
  const resume = 'resume it with jobtree run … --restart'
  if (d.interrupted !== null) return { cls: 'stopped', label: 'interrupted', detail: `its leader was stopped (${d.interrupted}): ${resume}` }
  return { cls: 'stopped', label: 'not complete', detail: `its leader stopped before the end: ${resume}` }
}

function banner(d: ReportData): Markup | string {
  if (!d.live) return ''
  return html`<div class="banner" id="snapshot"><strong>A snapshot as of ${when(d.generatedAt)}, run still going:</strong> a leader was running the
store when this report was made (events 1 to ${d.seq}). Make the report again for what came after.</div>`
}

function card(key: string, value: string, detail: string, id?: string, small = false): Markup {
  return html`<div class="card"${id ? html` id="${id}"` : ''}><div class="k">${key}</div><div class="v${small ? ' small' : ''}">${value}</div><div class="d">${detail}</div></div>`
}

/** A time as people read it: 2026-12-07 15:38:22 UTC. */
function when(ms: number): string {
  return isoTime(ms)
    .replace('T', ' ')
    .replace(/\.\d+Z$/, ' UTC')
}

function summary(d: ReportData): Markup {
  const s = d.status
  const t = d.stats.totals
  const c = s.counts
  const state = runState(d)
  const end = s.finishedAt ?? (d.live ? d.generatedAt : d.lastEventAt)
  const ran = s.startedAt > 0 ? duration(end - s.startedAt) : '-'
  const path = d.stats.criticalPath
  const count = (id: string, label: string, n: number): Markup => html`<dt>${label}</dt><dd id="count-${id}" data-n="${n}">${n}</dd>`
  return html`<section id="summary">
<h2>Run summary</h2>
<div><span class="state ${state.cls}" id="run-state">${state.label}</span> <span id="run-state-detail">${state.detail}</span></div>
<div class="cards">
${card('Workflow', `--target ${s.target || '?'}`, s.module || '?')}
${card('Run', s.runId || '-', `${t.leaders} leader(s), ${Math.max(0, t.leaders - 1)} restart(s)`, 'card-run', true)}
${card('Started', s.startedAt > 0 ? when(s.startedAt) : '-', s.finishedAt !== null ? `finished ${when(s.finishedAt)}` : d.live ? 'not finished yet' : 'never finished')}
${card('Duration', ran, s.finishedAt !== null ? 'from start to finish' : d.live ? 'so far' : 'to its last event')}
${card('CPU time', duration(t.cpuMs), `${duration(t.wallMs)} of attempts' wall time in all`)}
${card('Jobs', `${t.jobs} created`, `${t.succeeded} succeeded, ${t.failed} failed completely`, 'card-jobs')}
${card('Attempts', String(t.attempts), `${t.failedAttempts} failed, ${t.retries} retried, ${t.abandonedAttempts} abandoned`, 'card-attempts')}
${card('Peak memory', t.peakMemory > 0 ? size(t.peakMemory) : '-', 'the largest of any attempt')}
${card('Critical path', duration(path.totalMs), `running ${duration(path.runMs)}, waiting ${duration(path.waitMs)}`)}
${card('Time lost', duration(d.stats.lost.wallMs), `in ${d.stats.lost.failedAttempts} failed attempt(s)`)}
</div>
<h3>Jobs by state${d.live ? ' now' : ''}</h3>
<dl class="facts" id="counts">
${count('total', 'created', c.total)}${count('succeeded', 'succeeded', c.succeeded)}${count('failed', 'failed completely', c.failed)}
${count('issued', s.running === null ? 'issued (running or waiting for resources)' : `issued (${s.running} running, ${c.issued - s.running} waiting for resources)`, c.issued)}${count('ready', 'ready to issue', c.ready)}
${count('waiting', s.complete ? 'never ran (blocked by a failed job)' : 'waiting for other jobs', c.waiting)}
</dl>
</section>`
}

function timeline(d: ReportData): Markup {
  const g = d.gantt
  const attempts = g.attempts.length / GANTT_STRIDE
  if (attempts === 0) return html`<section id="timeline"><h2>Timeline</h2><p class="muted">No attempt has been issued yet.</p></section>`
  const outWord = d.live ? 'still running' : 'still out when the log ends'
  return html`<section id="timeline">
<h2>Timeline <span class="muted" style="font-weight:400;font-size:13px">${attempts} attempt(s) in ${g.lanes} lane(s), ${duration(g.end - g.t0)}</span></h2>
<div class="legend"><span><span class="sw" style="background:#3f9a5c"></span>succeeded</span><span><span class="sw" style="background:#d64541"></span>failed</span>
<span><span class="sw" style="background:#a0a4ab"></span>abandoned</span><span><span class="sw" style="background:#e8a33d"></span>${outWord}</span>
<span><span class="sw crit"></span>on the critical path</span>${g.restarts.length > 0 ? html`<span><span class="sw restart"></span>a leader resumed the run</span>` : ''}<button class="reset" id="gantt-reset" type="button">Zoom out</button></div>
<div class="gantt-box"><canvas id="gantt" role="img" aria-label="${`timeline of ${attempts} attempts`}"></canvas><div id="gantt-sel"></div><div id="gantt-tip"></div></div>
<noscript><p>The timeline is drawn by the page's script: allow scripts for this file to see it.</p></noscript>
<p class="caption">Each row is a lane, not a worker: the log does not record which worker ran an attempt, so attempts are packed into lanes by when
they ran (each in the lowest lane free when it started), which takes as many lanes as attempts ever ran at once. An attempt is drawn from its start
(its end less its measured wall time) to its end; one that was not measured (still out, lost, abandoned) from when it was issued. Times are from the
run's first event. Hover over an attempt for its job and times; drag across the chart to zoom in, double-click to zoom out.</p>
</section>`
}

function spreadCells(s: Spread, unit: (n: number) => string, measures: ReadonlyArray<keyof Spread>): Markup[] {
  return measures.map((m, i) =>
    s.count === 0
      ? html`<td${i === 0 ? html` class="first"` : ''} data-v="-1">–</td>`
      : html`<td${i === 0 ? html` class="first"` : ''} data-v="${s[m]}">${unit(s[m])}</td>`,
  )
}

/** Commands' memory is not measured (recorded as 0). */
const memory = (bytes: number): string => (bytes > 0 ? size(bytes) : '–')

function targets(d: ReportData): Markup {
  const rows = d.stats.targets.map(
    (
      t,
    ) => html`<tr><td class="l name" title="${t.name}">${t.name}</td><td data-v="${t.jobs}">${t.jobs}</td><td data-v="${t.failedAttempts}">${t.failedAttempts}</td>
${spreadCells(t.wallMs, duration, ['median', 'mean', 'max', 'total'])}${spreadCells(t.cpuMs, duration, ['median', 'mean', 'max', 'total'])}
${spreadCells(t.waitMs, duration, ['median', 'mean', 'max', 'total'])}${spreadCells(t.memory, memory, ['median', 'max'])}</tr>`,
  )
  let col = 3
  const heads = (names: string[]): Markup[] => names.map((n, i) => html`<th data-col="${col++}"${i === 0 ? html` class="first"` : ''}>${n}</th>`)
  const four = ['median', 'mean', 'max', 'total']
  return html`<section id="targets">
<h2>Per target</h2>
${
  d.stats.targets.length === 0
    ? html`<p class="muted">No jobs yet.</p>`
    : html`<div class="scroll"><table class="sortable" id="target-table">
<thead><tr><th class="l" rowspan="2" data-col="0">target</th><th rowspan="2" data-col="1">jobs</th><th rowspan="2" data-col="2">failed<br>attempts</th>
<th class="group" colspan="4">wall time</th><th class="group" colspan="4">CPU time</th><th class="group" colspan="4">wait to start</th><th class="group" colspan="2">peak memory</th></tr>
<tr>${heads(four)}${heads(four)}${heads(four)}${heads(['median', 'max'])}</tr></thead>
<tbody>${rows}</tbody></table></div>
<p class="caption">Over each target's successful attempts (commands are grouped by their program); jobs counts those that succeeded. Memory has no total:
jobs do not all run at once, so a sum of their peaks means nothing. Click a header to sort.</p>`
}
</section>`
}
