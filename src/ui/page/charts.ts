import type { Charts } from '../protocol.ts'
import { duration } from '../../units.ts'
import { el } from './format.ts'

// Throughput and running attempts over the run as two small inline SVG
// charts, and the critical path as a list of its steps.

const SVG = 'http://www.w3.org/2000/svg'
const W = 300
const H = 60

export function renderCharts(into: HTMLElement, c: Charts, select: (id: number) => void): void {
  into.replaceChildren()
  const span = duration(c.to - c.from)
  into.appendChild(chart(`Finished per ${duration(c.bucketMs)}`, c.finished, 'bars', span, '#1f9d55'))
  into.appendChild(chart('Running', c.running, 'area', span, '#e09a00'))
  const path = c.criticalPath
  const box = el('div')
  box.id = 'critical'
  box.appendChild(el('h3', `Critical path: ${duration(path.totalMs)}, ${path.steps.length} attempt(s)`))
  const list = el('ol')
  for (const s of path.steps.slice(-30)) {
    const li = el('li')
    const link = el('a', `${s.jobId} ${s.name}`)
    link.addEventListener('click', () => select(s.jobId))
    li.append(link, ` (attempt ${s.attempt}): waited ${duration(s.waitMs)}, ran ${duration(s.runMs)}`)
    list.appendChild(li)
  }
  if (path.steps.length > 30) box.appendChild(el('p', `… the last 30 of ${path.steps.length} steps:`, 'hint'))
  box.appendChild(list)
  into.appendChild(box)
}

function chart(title: string, values: number[], kind: 'bars' | 'area', span: string, colour: string): HTMLElement {
  const box = el('div', '', 'chart')
  const max = Math.max(1, ...values)
  const label = el('div', '', 'label')
  label.append(el('span', `${title} (max ${max})`), el('span', `over ${span}`))
  box.appendChild(label)
  const svg = document.createElementNS(SVG, 'svg')
  svg.setAttribute('viewBox', `0 0 ${W} ${H}`)
  svg.setAttribute('preserveAspectRatio', 'none')
  const step = W / values.length
  const y = (v: number) => H - 2 - (v / max) * (H - 6)
  if (kind === 'bars') {
    values.forEach((v, i) => {
      if (v === 0) return
      const r = document.createElementNS(SVG, 'rect')
      r.setAttribute('x', String(i * step + 0.5))
      r.setAttribute('width', String(Math.max(0.5, step - 1)))
      r.setAttribute('y', String(y(v)))
      r.setAttribute('height', String(H - 2 - y(v)))
      r.setAttribute('fill', colour)
      svg.appendChild(r)
    })
  } else {
    const points = values.map((v, i) => `${(i + 0.5) * step},${y(v)}`)
    const area = document.createElementNS(SVG, 'polygon')
    area.setAttribute('points', `${0.5 * step},${H - 2} ${points.join(' ')} ${(values.length - 0.5) * step},${H - 2}`)
    area.setAttribute('fill', colour)
    area.setAttribute('fill-opacity', '0.35')
    area.setAttribute('stroke', colour)
    svg.appendChild(area)
  }
  box.appendChild(svg)
  return box
}
