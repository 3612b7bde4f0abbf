import type { FastifyBaseLogger } from 'fastify'

export interface BackgroundLoop {
  /** Starts the next pass now, or as soon as the one in flight ends. */
  wake: () => void
  /** Ends the loop, waiting for the pass in flight. */
  stop: () => Promise<void>
}

/**
 * How long one pass of a worker may work through its backlog before it gives the event loop back; the rest waits
 * for the next pass, which starts at once. On SQLite every query is synchronous, so a pass over a million rows
 * with no slice would hold the process (and `/health`) for its whole length.
 */
export const PASS_SLICE_MS = 200

/** The deadline (`performance.now()`) of a pass started now. */
export const passDeadline = (): number => performance.now() + PASS_SLICE_MS

/** Whether a drain given `deadline` should stop before its next batch. */
export const pastDeadline = (deadline: number): boolean => performance.now() >= deadline

/**
 * A worker's pass: one time slice of its drain, then `pollMs` of sleep, or none when the slice ran out with work
 * left (the next pass continues after the event loop had its turn).
 */
export const slicedPass =
  (drain: (deadline: number) => Promise<unknown>, pollMs: () => number) => async (): Promise<number> => {
    const deadline = passDeadline()
    await drain(deadline)
    return pastDeadline(deadline) ? 0 : pollMs()
  }

/**
 * Runs `pass` over and over in the background. After each pass it sleeps for the milliseconds the pass answered
 * (none at 0, but always after the event loop's other work: timers, I/O, requests), or `afterFailureMs` when the
 * pass threw (logged as `failure`), unless woken meanwhile. A pass may ask `stopping()` to leave early. The first
 * pass starts once `startAfter` resolves (the backend listens), else on the next tick.
 */
export function startBackgroundLoop(
  log: FastifyBaseLogger,
  failure: string,
  afterFailureMs: number,
  pass: (stopping: () => boolean) => Promise<number>,
  startAfter?: Promise<unknown>,
): BackgroundLoop {
  let running = true
  let woken = false
  let wakeUp: (() => void) | null = null
  const stopping = (): boolean => !running
  let stopped = (): void => undefined
  const stoppedEarly = new Promise<void>((resolve) => (stopped = resolve))

  const loop = async (): Promise<void> => {
    await Promise.resolve()
    if (startAfter) await Promise.race([startAfter, stoppedEarly])
    while (running) {
      let wait = afterFailureMs
      try {
        wait = await pass(stopping)
      } catch (error) {
        log.error({ err: error }, failure)
      }
      if (!running) break
      if (woken || wait <= 0) await new Promise<void>((resolve) => setImmediate(resolve))
      else {
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, wait)
          wakeUp = () => {
            clearTimeout(timer)
            resolve()
          }
        })
      }
      wakeUp = null
      woken = false
    }
  }
  const done = loop()

  return {
    wake() {
      woken = true
      wakeUp?.()
    },
    async stop() {
      running = false
      stopped()
      wakeUp?.()
      await done
    },
  }
}
