import type { FastifyReply } from 'fastify'

export interface EventStream {
  /** False once the client has gone. */
  readonly open: boolean
  /** Writes one event; nothing once the client has gone. */
  send(id: number, event: string, data: string): void
  /** Ends the response from our side (the client is told to stop, e.g. a retired device). */
  close(): void
}

/**
 * Takes the reply over as a `text/event-stream`: a reconnect hint and `comment` first, a `: keep-alive` comment
 * every `keepAliveMs`, and `onClose` once when the client goes (at once if it already has). Subscribe to what
 * feeds the stream before calling it, so a failure up to then is still a plain JSON error.
 */
export function startEventStream(
  reply: FastifyReply,
  options: { comment: string; keepAliveMs: number; onClose: () => void },
): EventStream {
  const raw = reply.raw
  reply.hijack()
  raw.writeHead(200, {
    'content-type': 'text/event-stream; charset=utf-8',
    'cache-control': 'no-cache, no-transform',
    connection: 'keep-alive',
    'x-accel-buffering': 'no',
  })
  raw.write(`retry: 2000\n: ${options.comment}\n\n`)
  let open = true
  const keepAlive = setInterval(() => raw.write(': keep-alive\n\n'), options.keepAliveMs)
  const stop = (): void => {
    if (!open) return
    open = false
    clearInterval(keepAlive)
    options.onClose()
  }
  raw.on('close', stop)
  raw.on('error', stop)
  if (raw.destroyed) stop()
  return {
    get open() {
      return open
    },
    send(id, event, data) {
      if (open) raw.write(`id: ${id}\nevent: ${event}\ndata: ${data}\n\n`)
    },
    close() {
      if (!open) return
      stop()
      raw.end()
    },
  }
}
