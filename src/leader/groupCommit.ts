import { Observable } from 'rxjs'

// Group commit: inputs that arrive while a batch is being committed wait and
// form the next batch, so a burst of completions costs one synced write, not
// one per completion. Batches are committed strictly one after another.

export function groupCommit<T>(commit: (batch: T[]) => Promise<void>) {
  return (source: Observable<T>): Observable<number> =>
    new Observable<number>((subscriber) => {
      let buffer: T[] = []
      let busy = false
      let sourceDone = false
      const drain = async (): Promise<void> => {
        busy = true
        while (buffer.length > 0) {
          const batch = buffer
          buffer = []
          await commit(batch)
          subscriber.next(batch.length)
        }
        busy = false
        if (sourceDone) subscriber.complete()
      }
      const subscription = source.subscribe({
        next: (value) => {
          buffer.push(value)
          if (!busy) drain().catch((err: unknown) => subscriber.error(err))
        },
        error: (err: unknown) => subscriber.error(err),
        complete: () => {
          sourceDone = true
          if (!busy) subscriber.complete()
        },
      })
      return () => subscription.unsubscribe()
    })
}
