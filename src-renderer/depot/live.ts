import { DashboardChanged } from '../../shared/api/dashboard'
import { createSseParser } from '../../shared/sse'
import { STREAM_URL } from './api'

export type LiveState = 'connecting' | 'live' | 'offline'

export interface LiveHandlers {
  changed(message: DashboardChanged): void
  state(state: LiveState): void
  /** The token was refused: the session is over. */
  unauthorized(): void
}

/** Retry delays after a lost stream: quick at first, then no more than every 15 s. */
const RETRY_MS = [1_000, 2_000, 5_000, 10_000, 15_000]

/**
 * Follows the backend's dashboard stream (server-sent events) with the supervisor's token in the Authorization
 * header, which `EventSource` cannot send, so it reads the stream with `fetch`. It reconnects after a loss;
 * the backend's first message on every connection is `changed`, so nothing missed while away stays stale.
 * Returns the function that stops it.
 */
export function followDashboard(token: string, handlers: LiveHandlers): () => void {
  let stopped = false
  let controller: AbortController | null = null
  let timer: ReturnType<typeof setTimeout> | null = null
  let failures = 0

  const connect = async (): Promise<void> => {
    if (stopped) return
    handlers.state('connecting')
    controller = new AbortController()
    try {
      const response = await fetch(STREAM_URL, {
        headers: { accept: 'text/event-stream', authorization: `Bearer ${token}` },
        signal: controller.signal,
        cache: 'no-store',
      })
      if (response.status === 401) {
        handlers.unauthorized()
        return
      }
      if (!response.ok || !response.body) throw new Error(`stream answered ${response.status}`)
      handlers.state('live')
      failures = 0
      const reader = response.body.pipeThrough(new TextDecoderStream()).getReader()
      const parser = createSseParser()
      for (;;) {
        const { value, done } = await reader.read()
        if (done) break
        for (const message of parser.push(value)) {
          if (message.event !== 'changed') continue
          const parsed = DashboardChanged.safeParse(JSON.parse(message.data))
          if (parsed.success) handlers.changed(parsed.data)
        }
      }
    } catch {
      // A lost connection or a refused one: retry below, unless stopped.
    }
    if (stopped) return
    handlers.state('offline')
    const delay = RETRY_MS[Math.min(failures, RETRY_MS.length - 1)]!
    failures++
    timer = setTimeout(() => void connect(), delay)
  }

  void connect()
  return () => {
    stopped = true
    if (timer) clearTimeout(timer)
    controller?.abort()
  }
}
