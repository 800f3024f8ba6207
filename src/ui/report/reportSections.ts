import { failedAttempts } from '../../audit/describe.ts'
import type { PathStep } from '../../audit/criticalPath.ts'
import { duration } from '../../units.ts'
import { html, type Markup } from './html.ts'
import { FAILED_ATTEMPTS_SHOWN, type ReportData } from './reportData.ts'

// The report's critical path and failures: what set the run's length, and what went wrong.

/** Steps listed when the path is long (a chain of 10,000 follow-ons): its first and last ones. */
const PATH_ENDS = 200

const since = (d: ReportData, at: number | undefined): string => (at === undefined || at < 0 ? '-' : `+${duration(at - d.gantt.t0)}`)

export function criticalPathSection(d: ReportData): Markup {
  const path = d.stats.criticalPath
  if (path.steps.length === 0) return html`<section id="critical-path"><h2>Critical path</h2><p class="muted">No attempt has ended yet.</p></section>`
  const row = (s: PathStep, i: number): Markup =>
    html`<tr><td>${i + 1}</td><td>${s.jobId}</td><td class="l name" title="${s.name}">${s.name}</td><td>${s.attempt}</td><td class="l">${s.outcome}</td>
<td>${since(d, s.readyAt)}</td><td>${duration(s.waitMs)}</td><td>${duration(s.runMs)}</td><td>${since(d, s.endAt)}</td></tr>`
  const steps = path.steps
  const rows =
    steps.length <= 2 * PATH_ENDS
      ? steps.map(row)
      : [
          ...steps.slice(0, PATH_ENDS).map(row),
          html`<tr class="crit-break"><td colspan="9">… ${steps.length - 2 * PATH_ENDS} more steps (jobtree stats lists them all) …</td></tr>`,
          ...steps.slice(-PATH_ENDS).map((s, i) => row(s, steps.length - PATH_ENDS + i)),
        ]
  return html`<section id="critical-path">
<h2>Critical path</h2>
<p id="critical-summary"><strong>${duration(path.totalMs)}</strong>: running ${duration(path.runMs)}, waiting ${duration(path.waitMs)}, ${steps.length} attempt(s).
The chain of attempts that set the run's length, walking back from the attempt that ended last through what made each one ready (its parent, the
last job of a subtree a follow-on waited for, a job whose value it needed, or its own failed attempt). Outlined in the timeline.</p>
<div class="scroll"><table id="critical-table"><thead><tr><th>step</th><th>job</th><th class="l">name</th><th>attempt</th><th class="l">outcome</th>
<th>ready at</th><th>waited</th><th>ran</th><th>ended at</th></tr></thead><tbody>${rows}</tbody></table></div>
</section>`
}

function logBlock(tail: string, file?: string): Markup {
  if (tail === '') return html`<div class="muted">(nothing in its log${file === undefined ? ' for this attempt' : ''})</div>`
  return html`${file === undefined ? '' : html`<div class="muted">last lines of <code>${file}</code>:</div>`}<pre class="log">${tail}</pre>`
}

export function failuresSection(d: ReportData): Markup {
  const failedJobs = d.status.failedJobs
  const { newest, total } = d.failedAttempts
  if (failedJobs.length === 0 && total === 0) return html`<section id="failures"><h2>Failures</h2><p class="muted">No attempt failed.</p></section>`
  const jobs = failedJobs.map(
    (f) => html`<div class="failure failed-job" data-job="${f.jobId}">
<div class="title">job ${f.jobId} · ${f.name}</div>
<div class="reason">failed completely ${failedAttempts(f.failures, f.attempts)}: ${f.reason}</div>
${f.input ? html`<div>input: <code>${f.input}</code></div>` : ''}
${logBlock(f.logTail, f.logFile)}
</div>`,
  )
  const rows = newest.map(
    (
      f,
    ) => html`<tr class="failed-attempt" data-job="${f.jobId}"><td>${since(d, f.endAt)}</td><td>${f.jobId}</td><td class="l name" title="${f.name}">${f.name}</td>
<td>${f.attempt}</td><td class="reason">${f.reason}${f.input ? html`<div class="muted">input: <code>${f.input}</code></div>` : ''}
<details><summary>its log</summary>${logBlock(f.logTail)}</details></td></tr>`,
  )
  const rest = total - newest.length
  return html`<section id="failures">
<h2>Failures</h2>
<h3>Jobs that failed completely (${failedJobs.length})</h3>
${failedJobs.length === 0 ? html`<p class="muted">None: every failed attempt was retried with success${d.live ? ' so far' : ''}.</p>` : jobs}
<h3>Failed attempts (${total})</h3>
<p class="muted" id="failed-attempts-note">${
    rest > 0
      ? `The ${FAILED_ATTEMPTS_SHOWN} most recent; ${rest} earlier failed attempt(s) are not listed (jobtree events ${d.store} --type JobFailed lists them all).`
      : 'Newest first.'
  }</p>
<div class="scroll"><table id="failed-attempts"><thead><tr><th>ended at</th><th>job</th><th class="l">name</th><th>attempt</th><th class="l">reason</th></tr></thead>
<tbody>${rows}</tbody></table></div>
</section>`
}
