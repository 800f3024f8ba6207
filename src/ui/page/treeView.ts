import type { TreeModel } from './treeModel.ts'

// The tree on screen: only the rows in view (and a few around them) are in
// the DOM, in a pool of elements reused as the view scrolls; a tree of
// 100,000 jobs costs what its visible rows cost.

const ROW_HEIGHT = 22
const EXTRA_ROWS = 8
const INDENT_PX = 16
/** Deeper than this a row says its depth instead of being indented further. */
const MAX_INDENT = 30

export const STATE_LABEL: Record<string, string> = {
  waiting: 'waiting',
  ready: 'ready',
  running: 'running',
  done: 'done',
  retrying: 'failed, to retry',
  failed: 'failed completely',
  superseded: 'discarded by a rewind',
}

export class TreeView {
  selected = -1
  critical = new Set<number>()
  private readonly pool: HTMLDivElement[] = []
  private scheduled = false

  constructor(
    private readonly model: TreeModel,
    private readonly scroller: HTMLElement,
    private readonly space: HTMLElement,
    private readonly onSelect: (id: number) => void,
  ) {
    scroller.addEventListener('scroll', () => this.render())
    window.addEventListener('resize', () => this.render())
    space.addEventListener('click', (e) => {
      const row = (e.target as HTMLElement).closest<HTMLElement>('.row')
      if (row === null) return
      const id = Number(row.dataset.id)
      if ((e.target as HTMLElement).classList.contains('toggle') && (this.model.children[id]?.length ?? 0) > 0) {
        this.model.toggle(id)
        this.render()
      } else this.onSelect(id)
    })
  }

  /** Draws on the next frame, once however many updates come before it. */
  schedule(): void {
    if (this.scheduled) return
    this.scheduled = true
    requestAnimationFrame(() => {
      this.scheduled = false
      this.render()
    })
  }

  scrollTo(id: number): void {
    const at = this.model.reveal(id)
    if (at < 0) return
    const top = at * ROW_HEIGHT
    if (top < this.scroller.scrollTop || top > this.scroller.scrollTop + this.scroller.clientHeight - ROW_HEIGHT)
      this.scroller.scrollTop = Math.max(0, top - this.scroller.clientHeight / 3)
    this.render()
  }

  render(): void {
    const m = this.model
    m.refresh()
    this.space.style.height = `${m.order.length * ROW_HEIGHT}px`
    const first = Math.max(0, Math.floor(this.scroller.scrollTop / ROW_HEIGHT) - EXTRA_ROWS)
    const last = Math.min(m.order.length, Math.ceil((this.scroller.scrollTop + this.scroller.clientHeight) / ROW_HEIGHT) + EXTRA_ROWS)
    while (this.pool.length < last - first) {
      const div = document.createElement('div')
      div.className = 'row'
      div.innerHTML =
        '<span class="toggle"></span><span class="dot"></span><span class="id"></span><span class="name"></span><span class="tag"></span><span class="state"></span><span class="att"></span>'
      this.space.appendChild(div)
      this.pool.push(div)
    }
    this.pool.forEach((div, i) => {
      const at = first + i
      if (at >= last) {
        div.hidden = true
        return
      }
      div.hidden = false
      this.fill(div, m.order[at], m.depth[at], at)
    })
  }

  private fill(div: HTMLDivElement, id: number, depth: number, at: number): void {
    const m = this.model
    const state = m.state[id]
    const kids = m.children[id]?.length ?? 0
    const parts = div.children as HTMLCollectionOf<HTMLElement>
    div.style.transform = `translateY(${at * ROW_HEIGHT}px)`
    div.style.paddingLeft = `${8 + Math.min(depth, MAX_INDENT) * INDENT_PX}px`
    div.dataset.id = String(id)
    div.dataset.state = state
    div.className = `row${id === this.selected ? ' selected' : ''}${this.critical.has(id) ? ' critical' : ''}`
    parts[0].textContent = kids === 0 ? '' : m.collapsed.has(id) ? '▸' : '▾'
    parts[1].className = `dot b-${state}`
    parts[2].textContent = String(id)
    parts[3].textContent = m.name[id]
    const tags = [m.followOn[id] ? 'follow-on' : '', kids > 0 ? `${kids} below` : '', depth > MAX_INDENT ? `depth ${depth}` : '']
    parts[4].textContent = tags.filter((t) => t !== '').join(' · ')
    parts[5].className = `state s-${state}`
    parts[5].textContent = STATE_LABEL[state]
    parts[6].textContent = m.failures[id] > 0 ? `${m.attempts[id]} att, ${m.failures[id]} failed` : m.attempts[id] > 0 ? `${m.attempts[id]} att` : ''
  }
}
