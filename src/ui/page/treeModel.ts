import { ROW_STATES, type Row, type RowState } from '../protocol.ts'

// The jobs the page holds, by id (ids are dense: 0, 1, 2, …), and the order
// in which the tree shows them: depth first, children before follow-ons,
// leaving out what is under a collapsed job. Updating a row changes only
// that row; the order is rebuilt only when jobs come or go, or a job is
// collapsed or expanded.

export class TreeModel {
  parent: number[] = []
  name: string[] = []
  followOn: boolean[] = []
  state: RowState[] = []
  attempts: number[] = []
  failures: number[] = []
  children: number[][] = []
  roots: number[] = []
  readonly collapsed = new Set<number>()
  readonly failed = new Set<number>()
  /** Rows in each state. */
  readonly inState = new Map<RowState, number>()
  /** The shown order: job ids, and their depths. */
  order: number[] = []
  depth: number[] = []
  private orderStale = true

  clear(): void {
    for (const key of ['parent', 'name', 'followOn', 'state', 'attempts', 'failures', 'children', 'roots'] as const) this[key] = []
    this.failed.clear()
    this.inState.clear()
    this.orderStale = true
  }

  has(id: number): boolean {
    return this.name[id] !== undefined
  }

  set(row: Row): void {
    const [id, parent, followOn, name, state, attempts, failures] = row
    if (!this.has(id)) {
      this.parent[id] = parent
      this.name[id] = name
      this.followOn[id] = followOn === 1
      this.children[id] ??= []
      if (parent !== -1) this.children[parent] ??= []
      insertSorted(parent === -1 ? this.roots : this.children[parent], id)
      this.orderStale = true
    }
    const s = ROW_STATES[state] ?? 'waiting'
    this.count(this.state[id], -1)
    this.count(s, 1)
    this.state[id] = s
    this.attempts[id] = attempts
    this.failures[id] = failures
    if (s === 'failed') this.failed.add(id)
    else this.failed.delete(id)
  }

  remove(id: number): void {
    if (!this.has(id)) return
    const siblings = this.parent[id] === -1 ? this.roots : this.children[this.parent[id]]
    const at = siblings?.indexOf(id) ?? -1
    if (at >= 0) siblings.splice(at, 1)
    this.count(this.state[id], -1)
    for (const key of ['parent', 'name', 'followOn', 'state', 'attempts', 'failures', 'children'] as const) delete (this[key] as unknown[])[id]
    this.failed.delete(id)
    this.orderStale = true
  }

  private count(state: RowState | undefined, by: number): void {
    if (state !== undefined) this.inState.set(state, (this.inState.get(state) ?? 0) + by)
  }

  toggle(id: number): void {
    if (this.collapsed.has(id)) this.collapsed.delete(id)
    else this.collapsed.add(id)
    this.orderStale = true
  }

  /** Expands the job's ancestors, so that it is shown; its place in the order. */
  reveal(id: number): number {
    for (let p = this.parent[id]; p !== undefined && p !== -1; p = this.parent[p]) if (this.collapsed.delete(p)) this.orderStale = true
    this.refresh()
    return this.order.indexOf(id)
  }

  refresh(): void {
    if (!this.orderStale) return
    this.orderStale = false
    const order: number[] = []
    const depth: number[] = []
    const stack: Array<[number, number]> = []
    for (let i = this.roots.length - 1; i >= 0; i--) stack.push([this.roots[i], 0])
    while (stack.length > 0) {
      const [id, d] = stack.pop() as [number, number]
      order.push(id)
      depth.push(d)
      if (this.collapsed.has(id)) continue
      const kids = this.children[id] ?? []
      for (let i = kids.length - 1; i >= 0; i--) stack.push([kids[i], d + 1])
    }
    this.order = order
    this.depth = depth
  }
}

/** Ids arrive mostly in order: append, or find the place from the end. */
function insertSorted(list: number[], id: number): void {
  let i = list.length
  while (i > 0 && list[i - 1] > id) i--
  if (list[i - 1] !== id) list.splice(i, 0, id)
}
