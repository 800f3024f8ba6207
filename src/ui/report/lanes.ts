// The log does not record which worker ran an attempt, so the report's
// timeline packs attempts into lanes by their run intervals alone: interval
// partitioning, each attempt (in order of start) in the lowest lane free at
// its start. That uses as many lanes as attempts ever ran at once, and no more.

export interface Interval {
  start: number
  end: number
}

/** The lane of each interval (same order as given) and the number of lanes; O(n log n). */
export function packLanes(intervals: readonly Interval[]): { lanes: number[]; count: number } {
  const order = intervals.map((_, i) => i).sort((a, b) => intervals[a].start - intervals[b].start || intervals[a].end - intervals[b].end)
  const lanes = new Array<number>(intervals.length)
  // Busy lanes by the time they free up, and free lanes by number: both min-heaps.
  const busy = new MinHeap<[number, number]>((a, b) => a[0] - b[0] || a[1] - b[1])
  const free = new MinHeap<number>((a, b) => a - b)
  let count = 0
  for (const i of order) {
    const { start, end } = intervals[i]
    for (let top = busy.peek(); top !== undefined && top[0] <= start; top = busy.peek()) free.push((busy.pop() as [number, number])[1])
    const lane = free.pop() ?? count++
    lanes[i] = lane
    busy.push([Math.max(start, end), lane])
  }
  return { lanes, count }
}

class MinHeap<T> {
  private readonly items: T[] = []
  constructor(private readonly less: (a: T, b: T) => number) {}

  peek(): T | undefined {
    return this.items[0]
  }

  push(item: T): void {
    const a = this.items
    a.push(item)
    for (let i = a.length - 1; i > 0; ) {
      const parent = (i - 1) >> 1
      if (this.less(a[i], a[parent]) >= 0) break
      ;[a[i], a[parent]] = [a[parent], a[i]]
      i = parent
    }
  }

  pop(): T | undefined {
    const a = this.items
    const top = a[0]
    const last = a.pop()
    if (a.length === 0 || last === undefined) return top
    a[0] = last
    for (let i = 0; ; ) {
      const l = 2 * i + 1
      const r = l + 1
      let m = i
      if (l < a.length && this.less(a[l], a[m]) < 0) m = l
      if (r < a.length && this.less(a[r], a[m]) < 0) m = r
      if (m === i) break
      ;[a[i], a[m]] = [a[m], a[i]]
      i = m
    }
    return top
  }
}
