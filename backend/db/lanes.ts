/**
 * A fixed number of lanes for one kind of database work: at most `lanes` run at once, the rest wait their turn
 * in arrival order. Bulk work (a device's batch of events) gets fewer lanes than the connection pool has, so a
 * flood of it never leaves a webhook, a stream read or a login waiting behind every connection.
 */
export interface Lanes {
  run<T>(work: () => Promise<T>): Promise<T>
  /** Work running now, and waiting. */
  readonly busy: number
  readonly waiting: number
}

export function lanes(count: number): Lanes {
  if (!Number.isInteger(count) || count < 1) throw new RangeError('lanes must be a whole number from 1')
  let busy = 0
  const queue: (() => void)[] = []
  const release = (): void => {
    const next = queue.shift()
    if (next) next()
    else busy--
  }
  return {
    async run<T>(work: () => Promise<T>): Promise<T> {
      if (busy < count) busy++
      else await new Promise<void>((resolve) => queue.push(resolve))
      try {
        return await work()
      } finally {
        release()
      }
    },
    get busy() {
      return busy
    },
    get waiting() {
      return queue.length
    },
  }
}
