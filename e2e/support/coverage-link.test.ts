import { createServer, type Server } from 'node:http'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startCoverageLink, type CoverageLink } from './coverage-link'

let backend: Server
let base: string
let hits = 0
let link: CoverageLink

beforeAll(async () => {
  backend = createServer((req, res) => {
    if (req.url === '/stream') {
      res.writeHead(200, { 'content-type': 'text/event-stream' })
      res.write('data: hello\n\n')
      return
    }
    hits++
    res.end(JSON.stringify({ hits }))
  })
  await new Promise<void>((resolve) => backend.listen(0, '127.0.0.1', resolve))
  const address = backend.address()
  base = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`
  link = await startCoverageLink(base)
})
afterAll(async () => {
  await link.close()
  backend.closeAllConnections()
  await new Promise((resolve) => backend.close(resolve))
})

const get = (path = '/') => fetch(`${link.url}${path}`, { signal: AbortSignal.timeout(1500) })

describe('coverage link', () => {
  it('relays requests while online', async () => {
    link.setMode('online')
    const before = hits
    expect(((await (await get()).json()) as { hits: number }).hits).toBe(before + 1)
  })

  it('fails requests at once while offline, and the backend sees nothing', async () => {
    link.setMode('offline')
    const before = hits
    const started = performance.now()
    await expect(get()).rejects.toThrow()
    expect(performance.now() - started).toBeLessThan(1000)
    expect(hits).toBe(before)
    link.setMode('online')
  })

  it('times requests out in a blackhole', async () => {
    link.setMode('blackhole')
    const before = hits
    await expect(get()).rejects.toThrow(/timeout|abort/i)
    expect(hits).toBe(before)
    link.setMode('online')
  })

  it('lets the backend do the work but loses its answer', async () => {
    link.setMode('drop-responses')
    const before = hits
    await expect(get()).rejects.toThrow()
    expect(hits).toBe(before + 1)
    expect(link.stats().droppedResponses).toBeGreaterThan(0)
    link.setMode('online')
  })

  it('cuts an open event stream when coverage goes', async () => {
    link.setMode('online')
    // The first try may land on a pooled keep-alive socket an earlier test's outage already cut.
    const res = await fetch(`${link.url}/stream`).catch(() => fetch(`${link.url}/stream`))
    const reader = res.body!.getReader()
    expect(new TextDecoder().decode((await reader.read()).value as Uint8Array)).toContain('hello')
    link.setMode('offline')
    await expect(
      (async () => {
        for (;;) {
          const { done } = await reader.read()
          if (done) return 'ended'
        }
      })(),
    ).rejects.toThrow()
    link.setMode('online')
  })

  it('flaps between online and offline', async () => {
    const seen = new Set<string>()
    const flapping = link.flap(30)
    for (let i = 0; i < 20; i++) {
      seen.add(link.mode())
      await new Promise((resolve) => setTimeout(resolve, 10))
    }
    flapping.stop()
    link.setMode('online')
    expect(seen).toEqual(new Set(['online', 'offline']))
  })

  it('shapes new connections like a slow uplink, and loses what had not gone when the device drops', async () => {
    link.setMode('online')
    link.shape({ bytesPerSecond: 100_000, latencyMs: 20 })
    try {
      const body = 'x'.repeat(50_000)
      const started = performance.now()
      const res = await fetch(`${link.url}/`, { method: 'POST', body, signal: AbortSignal.timeout(5000) })
      await res.text()
      // 50 kB at 100 kB/s: about half a second, where an unshaped loopback takes a few milliseconds.
      expect(performance.now() - started).toBeGreaterThan(400)
      const before = hits
      const cut = fetch(`${link.url}/`, { method: 'POST', body, signal: AbortSignal.timeout(100) })
      await expect(cut).rejects.toThrow()
      await new Promise((resolve) => setTimeout(resolve, 700))
      expect(hits).toBe(before)
    } finally {
      link.shape(null)
    }
    const started = performance.now()
    await (await get()).text()
    expect(performance.now() - started).toBeLessThan(300)
  })
})
