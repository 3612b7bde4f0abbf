import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { openBackendDb } from '../db/connect'
import { buildBackend } from '../server'
import { databasesUnderTest } from '../testing/databases'
import { startTestBackend, type TestBackend } from '../testing/backend'
import { loggedInCourier } from '../testing/courier'
import { openDashboardStream, supervisorSession } from '../testing/dashboard'
import { DASHBOARD_CSP } from '../../shared/csp'

for (const { kind, skip } of await databasesUnderTest()) {
  describe.skipIf(skip !== null)(`dashboard live stream on ${kind}`, () => {
    let server: TestBackend

    beforeAll(async () => {
      server = await startTestBackend({ database: kind })
    })
    afterAll(async () => server?.stop())

    it('says "changed" when a device pushes, coalescing a burst into about one message a second', async () => {
      const courier = await loggedInCourier(server, { orders: [{ codFen: 6660 }, { codFen: 0 }, { codFen: 1990 }] })
      const supervisor = await supervisorSession(server, courier.fixture.depotId)
      const stream = await openDashboardStream(server.url, supervisor.token)
      try {
        // The first message comes at once: a dashboard (re)connecting refetches what it shows.
        await stream.waitForMore(0)
        const started = Date.now()
        for (const [i, order] of [courier.order(0), courier.order(1), courier.order(2)].entries()) {
          await server.api.push(courier.device.deviceToken, courier.device.deviceId, [
            courier.events.next({
              type: 'parcel.scanned',
              payload: {
                orderId: order.orderId,
                parcelId: order.parcels[0]!.parcelId,
                barcode: order.parcels[0]!.barcode,
                source: i === 0 ? 'wedge' : 'manual',
              },
            }),
          ])
        }
        const messages = await stream.waitForMore(1)
        await new Promise((resolve) => setTimeout(resolve, 1_200))
        // Three pushes in well under a second: one message now, at most one more after the pause.
        expect(stream.messages.length - 1).toBeGreaterThanOrEqual(1)
        expect(stream.messages.length - 1).toBeLessThanOrEqual(2)
        expect(messages[1]!.depotId).toBe(courier.fixture.depotId)
        expect(stream.messages.map((m) => m.seq)).toEqual(stream.messages.map((_, i) => i + 1))
        expect(Date.now() - started).toBeLessThan(5_000)
      } finally {
        stream.close()
      }
    })

    it('refuses a stream that is not asked for as one', async () => {
      const courier = await loggedInCourier(server)
      const supervisor = await supervisorSession(server, courier.fixture.depotId)
      const answer = await server.api.raw('GET', '/api/v1/depot/dashboard/stream', {
        token: supervisor.token,
        headers: { accept: 'application/json' },
      })
      expect(answer.status).toBe(400)
    })

    it.skipIf(kind !== 'postgres')('reaches a dashboard held by another instance through LISTEN/NOTIFY', async () => {
      const courier = await loggedInCourier(server, { orders: [{ codFen: 5600 }] })
      const supervisor = await supervisorSession(server, courier.fixture.depotId)
      const database = openBackendDb(server.target)
      const other = await buildBackend({ database, version: 'test', acquirer: { kind: 'none' } })
      const otherUrl = await other.listen(0)
      const stream = await openDashboardStream(otherUrl, supervisor.token)
      try {
        await stream.waitForMore(0)
        await server.api.heartbeat(courier.device.deviceToken, courier.device.deviceId, {
          pendingCount: 4,
          oldestPendingAt: new Date(Date.now() - 60_000).toISOString(),
          lastSyncAt: null,
          appVersion: '0.1.0',
          sentAt: new Date().toISOString(),
        })
        const [, changed] = await stream.waitForMore(1)
        expect(changed!.depotId).toBe(courier.fixture.depotId)
      } finally {
        stream.close()
        await other.close()
        await database.close()
      }
    })
  })
}

describe('dashboard page', () => {
  let dir: string
  let server: TestBackend

  beforeAll(async () => {
    // A renderer build of our own: the test is about what is served, not about the real bundle.
    dir = mkdtempSync(join(tmpdir(), 'tuotou-dashboard-page-'))
    mkdirSync(join(dir, 'depot'))
    mkdirSync(join(dir, 'assets'))
    mkdirSync(join(dir, 'terminal'))
    writeFileSync(join(dir, 'depot', 'index.html'), '<!doctype html><script src="../assets/depot-1.js"></script>')
    writeFileSync(join(dir, 'assets', 'depot-1.js'), 'console.log(1)')
    writeFileSync(join(dir, 'terminal', 'index.html'), '<!doctype html>terminal')
    server = await startTestBackend({ sandbox: false })
  })
  afterAll(async () => {
    await server?.stop()
    rmSync(dir, { recursive: true, force: true })
  })

  it('serves the dashboard at /depot/ with a strict CSP, its hashed bundles, and nothing else of the build', async () => {
    const database = openBackendDb(server.target)
    const backend = await buildBackend({ database, version: 'test', rendererDir: dir })
    const url = await backend.listen(0)
    try {
      const redirect = await fetch(`${url}/depot`, { redirect: 'manual' })
      expect([redirect.status, redirect.headers.get('location')]).toEqual([302, '/depot/'])
      const page = await fetch(`${url}/depot/`)
      expect(page.status).toBe(200)
      expect(page.headers.get('content-type')).toMatch(/text\/html/)
      expect(page.headers.get('content-security-policy')).toBe(DASHBOARD_CSP.header)
      expect(DASHBOARD_CSP.header).not.toMatch(/unsafe-inline|unsafe-eval|https?:/)
      expect(page.headers.get('cache-control')).toBe('no-cache')
      const bundle = await fetch(`${url}/assets/depot-1.js`)
      expect([bundle.status, bundle.headers.get('cache-control')]).toEqual([200, 'public, max-age=31536000, immutable'])
      for (const path of ['/terminal/index.html', '/depot/../terminal/index.html', '/assets/../terminal/index.html']) {
        expect((await fetch(`${url}${path}`)).status).toBe(404)
      }
    } finally {
      await backend.close()
      await database.close()
    }
  })

  it('says the dashboard is not built, as JSON, when the build is missing', async () => {
    const database = openBackendDb(server.target)
    const backend = await buildBackend({ database, version: 'test', rendererDir: join(dir, 'nowhere') })
    const url = await backend.listen(0)
    try {
      const answer = await fetch(`${url}/depot/`)
      expect(answer.status).toBe(503)
      expect(((await answer.json()) as { error: { code: string } }).error.code).toBe('dashboard.not_built')
    } finally {
      await backend.close()
      await database.close()
    }
  })
})
