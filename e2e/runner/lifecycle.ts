/**
 * The processes a round starts (backend, terminal, browser, coverage link), stopped in reverse order however the
 * round ends: finished, failed, or interrupted with Ctrl-C. Each is stopped through what started it, by its
 * own handle, never by name.
 */
export class RoundProcesses {
  private readonly stops: { name: string; stop: () => Promise<void> }[] = []
  private stopping: Promise<void> | null = null

  /** True once the round's processes are being stopped: nothing new should start. */
  get stoppingNow(): boolean {
    return this.stopping !== null
  }

  /** Registers how to stop something that has just started. */
  add(name: string, stop: () => Promise<void>): void {
    this.stops.push({ name, stop })
  }

  /** Stops everything, last started first; a failure to stop one does not leave the others running. */
  stopAll(): Promise<void> {
    this.stopping ??= (async () => {
      for (const entry of this.stops.reverse()) {
        try {
          await withTimeout(entry.stop(), 15_000)
        } catch (error) {
          console.error(`could not stop ${entry.name}: ${error instanceof Error ? error.message : String(error)}`)
        }
      }
    })()
    return this.stopping
  }
}

async function withTimeout(work: Promise<void>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined
  try {
    await Promise.race([
      work,
      new Promise<void>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`still running after ${ms} ms`)), ms)
      }),
    ])
  } finally {
    clearTimeout(timer)
  }
}

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, Math.max(0, ms)))

/** Polls `check` until it is true; false if it never was within `timeoutMs`. */
export async function waitUntil(
  check: () => boolean | Promise<boolean>,
  timeoutMs: number,
  everyMs = 100,
): Promise<boolean> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    try {
      if (await check()) return true
    } catch {
      // A file or server that is not there yet (a backend restarting) is "not yet", not a failure.
    }
    if (Date.now() >= deadline) return false
    await sleep(everyMs)
  }
}
