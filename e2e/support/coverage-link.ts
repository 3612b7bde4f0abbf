import { createServer, connect, type Server, type Socket } from 'node:net'

/**
 * How the link between the device core and the backend behaves:
 * - `online`: bytes flow both ways.
 * - `offline`: connections are reset at once, as when there is no network at all.
 * - `blackhole`: connections are accepted and then nothing ever comes back, as in a basement where packets die.
 * - `drop-responses`: requests reach the backend, but its answers are thrown away and the connection is cut:
 *   the backend committed, and the device never heard.
 */
export type LinkMode = 'online' | 'offline' | 'blackhole' | 'drop-responses'

export interface CoverageLink {
  /** Point the device core here instead of at the backend. */
  url: string
  mode(): LinkMode
  setMode(mode: LinkMode): void
  /** Alternates online and offline every `periodMs` until `stop()` is called or the mode is set again. */
  flap(periodMs: number): { stop(): void }
  stats(): { connections: number; refused: number; droppedResponses: number }
  close(): Promise<void>
}

/**
 * A TCP relay on 127.0.0.1 between the device core and the backend, whose coverage a test controls. It works
 * below HTTP, so server-sent event streams are cut exactly as a real loss of signal would cut them.
 */
export async function startCoverageLink(target: string): Promise<CoverageLink> {
  const upstream = new URL(target)
  const upstreamPort = Number(upstream.port || 80)
  let current: LinkMode = 'online'
  let flapTimer: NodeJS.Timeout | null = null
  const live = new Set<Socket>()
  const counts = { connections: 0, refused: 0, droppedResponses: 0 }

  const cutAll = (): void => {
    for (const socket of live) socket.destroy()
    live.clear()
  }

  const server: Server = createServer((client) => {
    counts.connections++
    if (current === 'offline') {
      counts.refused++
      client.resetAndDestroy()
      return
    }
    live.add(client)
    client.on('close', () => live.delete(client))
    client.on('error', () => client.destroy())
    if (current === 'blackhole') {
      client.resume()
      return
    }
    const dropping = current === 'drop-responses'
    const server = connect(upstreamPort, upstream.hostname)
    live.add(server)
    server.on('close', () => {
      live.delete(server)
      client.destroy()
    })
    server.on('error', () => client.destroy())
    client.on('close', () => server.destroy())
    client.pipe(server)
    if (dropping) {
      // The backend has answered, so it has done the work; the device sees only a cut connection.
      server.once('data', () => {
        counts.droppedResponses++
        client.destroy()
        server.destroy()
      })
    } else {
      server.pipe(client)
    }
  })

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => resolve())
  })
  const address = server.address()
  if (address === null || typeof address === 'string') throw new Error('coverage link did not bind')

  const setMode = (mode: LinkMode): void => {
    current = mode
    // Losing coverage cuts what is open; regaining it lets new connections through.
    if (mode !== 'online') cutAll()
  }

  return {
    url: `${upstream.protocol}//127.0.0.1:${address.port}`,
    mode: () => current,
    setMode(mode) {
      if (flapTimer) clearInterval(flapTimer)
      flapTimer = null
      setMode(mode)
    },
    flap(periodMs) {
      if (flapTimer) clearInterval(flapTimer)
      flapTimer = setInterval(() => setMode(current === 'online' ? 'offline' : 'online'), periodMs)
      const timer = flapTimer
      return {
        stop: () => {
          clearInterval(timer)
          if (flapTimer === timer) flapTimer = null
        },
      }
    },
    stats: () => ({ ...counts }),
    close: () =>
      new Promise<void>((resolve) => {
        if (flapTimer) clearInterval(flapTimer)
        cutAll()
        server.close(() => resolve())
      }),
  }
}
