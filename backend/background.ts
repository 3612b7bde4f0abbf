import type { FastifyBaseLogger } from 'fastify'

export interface BackgroundLoop {
  /** Starts the next pass now, or as soon as the one in flight ends. */
  wake: () => void
  /** Ends the loop, waiting for the pass in flight. */
  stop: () => Promise<void>
}

/**
 * Runs `pass` over and over in the background. After each pass it sleeps for the milliseconds the pass answered
 * (none at 0), or `afterFailureMs` when the pass threw (logged as `failure`), unless woken meanwhile. A pass may
 * ask `stopping()` to leave early. The first pass starts on the next tick.
 */
export function startBackgroundLoop(
  log: FastifyBaseLogger,
  failure: string,
  afterFailureMs: number,
  pass: (stopping: () => boolean) => Promise<number>,
): BackgroundLoop {
  let running = true
  let woken = false
  let wakeUp: (() => void) | null = null
  const stopping = (): boolean => !running

  const loop = async (): Promise<void> => {
    await Promise.resolve()
    while (running) {
      let wait = afterFailureMs
      try {
        wait = await pass(stopping)
      } catch (error) {
        log.error({ err: error }, failure)
      }
      if (!running) break
      if (!woken && wait > 0) {
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
      wakeUp?.()
      await done
    },
  }
}
