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

/**
 * A slow mobile link: every byte waits `latencyMs`, then goes at most `bytesPerSecond`, each way. A request
 * therefore takes a while to leave the device, which is where a crash mid-upload happens in the field.
 */
export interface LinkShape {
  bytesPerSecond: number
  latencyMs?: number
}

export interface CoverageLink {
  /** Point the device core here instead of at the backend. */
  url: string
  mode(): LinkMode
  setMode(mode: LinkMode): void
  /** Shapes connections opened from now on (null: full speed again); open ones keep the shape they had. */
  shape(shape: LinkShape | null): void
  /** Alternates online and offline every `periodMs` until `stop()` is called or the mode is set again. */
  flap(periodMs: number): { stop(): void }
  stats(): { connections: number; refused: number; droppedResponses: number }
  close(): Promise<void>
}

/**
 * Relays `from` to `to` as a slow link would: in order, each chunk after the latency and after the chunks before it
 * have gone at the link's rate. What has not gone when either side closes is lost, as in the field.
 */
function forwardShaped(from: Socket, to: Socket, shape: LinkShape): void {
  let freeAt = 0
  const pending = new Set<NodeJS.Timeout>()
  const at = (bytes: number): number => {
    const now = Date.now()
    freeAt = Math.max(freeAt, now + (shape.latencyMs ?? 0)) + (bytes / shape.bytesPerSecond) * 1000
    return Math.max(0, freeAt - now)
  }
  const later = (work: () => void, delay: number): void => {
    const timer = setTimeout(() => {
      pending.delete(timer)
      if (!to.destroyed) work()
    }, delay)
    pending.add(timer)
  }
  from.on('data', (chunk: Buffer) => later(() => to.write(chunk), at(chunk.length)))
  from.on('end', () => later(() => to.end(), at(0)))
  const drop = (): void => {
    for (const timer of pending) clearTimeout(timer)
    pending.clear()
  }
  from.on('close', drop)
  to.on('close', drop)
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
  let shaping: LinkShape | null = null
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
    const shape = shaping
    if (shape) forwardShaped(client, server, shape)
    else client.pipe(server)
    if (dropping) {
      // The backend has answered, so it has done the work; the device sees only a cut connection.
      server.once('data', () => {
        counts.droppedResponses++
        client.destroy()
        server.destroy()
      })
    } else if (shape) {
      forwardShaped(server, client, shape)
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
    shape(next) {
      shaping = next
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
