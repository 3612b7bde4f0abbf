import { randomBytes } from 'node:crypto'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ACQUIRER_SIGNATURE_HEADER, ACQUIRER_TIMESTAMP_HEADER } from '../../shared/api/acquirer'
import { signNotification } from '../acquirer/signature'
import { openBackendDb } from '../db/connect'
import { buildBackend } from '../server'
import { openStream, errorOf } from '../testing/api'
import { databasesUnderTest } from '../testing/databases'
import { startTestBackend, type TestBackend } from '../testing/backend'
import { loggedInCourier } from '../testing/courier'
import { STREAM_OPEN_LANES } from './handlers'

const intentOf = (data: unknown) => (data as { intentId: string }).intentId

for (const { kind, skip } of await databasesUnderTest()) {
  describe.skipIf(skip !== null)(`device stream on ${kind}`, () => {
    let server: TestBackend

    beforeAll(async () => {
      server = await startTestBackend({ database: kind, config: { keepAliveMs: 150 } })
    })
    afterAll(async () => server?.stop())

    it('pushes payments as they happen, with increasing ids and keep-alives', async () => {
      const courier = await loggedInCourier(server, { orders: [{ codFen: 6660 }, { codFen: 19900 }] })
      const stream = await openStream(server.url, courier.device.deviceId, courier.device.deviceToken)
      try {
        expect(stream.status).toBe(200)
        await server.api.pay(courier.order(0).intent!.qrPayload)
        await server.api.pay(courier.order(1).intent!.qrPayload)
        const second = await stream.waitFor((m) => intentOf(m.data) === courier.order(1).intent!.intentId)
        const first = stream.messages.find((m) => intentOf(m.data) === courier.order(0).intent!.intentId)!
        expect(second.id).toBeGreaterThan(first.id)
        await expect.poll(() => stream.comments.filter((c) => c === 'keep-alive').length).toBeGreaterThanOrEqual(2)
      } finally {
        stream.close()
      }
    })

    it('resumes after Last-Event-ID from the stored stream, then carries on live', async () => {
      const courier = await loggedInCourier(server, {
        orders: [{ codFen: 100 }, { codFen: 200 }, { codFen: 300 }, { codFen: 400 }],
      })
      const intents = [0, 1, 2, 3].map((i) => courier.order(i).intent!)
      const first = await openStream(server.url, courier.device.deviceId, courier.device.deviceToken)
      for (const intent of intents.slice(0, 3)) await server.api.pay(intent.qrPayload)
      await first.waitFor((m) => intentOf(m.data) === intents[2]!.intentId)
      first.close()
      const seen = first.messages.map((m) => m.id)

      // The device saw only the first message before its network dropped.
      const resumed = await openStream(server.url, courier.device.deviceId, courier.device.deviceToken, seen[0])
      try {
        await resumed.waitFor((m) => intentOf(m.data) === intents[2]!.intentId)
        expect(resumed.messages.map((m) => m.id)).toEqual(seen.slice(1))
        await server.api.pay(intents[3]!.qrPayload)
        const live = await resumed.waitFor((m) => intentOf(m.data) === intents[3]!.intentId)
        expect(live.id).toBeGreaterThan(seen[2]!)
      } finally {
        resumed.close()
      }

      // Without Last-Event-ID the stream starts at the present; with 0 it replays everything kept.
      const fresh = await openStream(server.url, courier.device.deviceId, courier.device.deviceToken)
      const all = await openStream(server.url, courier.device.deviceId, courier.device.deviceToken, 0)
      try {
        await all.waitFor((m) => intentOf(m.data) === intents[3]!.intentId)
        expect(all.messages).toHaveLength(4)
        await new Promise((resolve) => setTimeout(resolve, 200))
        expect(fresh.messages).toEqual([])
      } finally {
        fresh.close()
        all.close()
      }
    })

    it('opens only for its own device with a valid cursor', async () => {
      const courier = await loggedInCourier(server)
      const other = await loggedInCourier(server)
      const path = `/api/v1/devices/${courier.device.deviceId}/stream`
      expect(errorOf((await server.api.raw('GET', path)).json).code).toBe('auth.missing')
      const foreign = await server.api.raw('GET', path, { token: other.device.deviceToken })
      expect(foreign.status).toBe(403)
      const cursor = await server.api.raw('GET', path, {
        token: courier.device.deviceToken,
        headers: { 'last-event-id': 'abc' },
      })
      expect(cursor.status).toBe(400)
      expect(errorOf(cursor.json).code).toBe('stream.bad_cursor')
    })

    it('deletes stored messages past retention, and ids carry on from where they were', async () => {
      let ahead = 0
      const aged = await startTestBackend({
        database: kind,
        now: () => Date.now() + ahead,
        config: { stream: { retentionMs: 60_000, pruneEveryMs: 3_600_000 } },
      })
      try {
        const courier = await loggedInCourier(aged, { orders: [{ codFen: 100 }, { codFen: 200 }, { codFen: 300 }] })
        const intents = [0, 1, 2].map((i) => courier.order(i).intent!)
        const open = () => openStream(aged.url, courier.device.deviceId, courier.device.deviceToken, 0)
        const early = await open()
        for (const intent of intents.slice(0, 2)) await aged.api.pay(intent.qrPayload)
        await early.waitFor((m) => intentOf(m.data) === intents[1]!.intentId)
        early.close()
        const earlyIds = early.messages.map((m) => m.id)

        // Nothing is old enough yet.
        expect(await aged.backend.streamPruner.prune()).toBe(0)
        ahead = 61_000
        await aged.api.pay(intents[2]!.qrPayload)
        expect(await aged.backend.streamPruner.prune()).toBe(earlyIds.length)

        const later = await open()
        try {
          const kept = await later.waitFor((m) => intentOf(m.data) === intents[2]!.intentId)
          expect(kept.id).toBeGreaterThan(Math.max(...earlyIds))
          await new Promise((resolve) => setTimeout(resolve, 200))
          expect(later.messages.map((m) => intentOf(m.data))).toEqual([intents[2]!.intentId])
        } finally {
          later.close()
        }
        expect(await aged.backend.streamPruner.prune()).toBe(0)
      } finally {
        await aged.stop()
      }
    })

    it('opens a few streams at a time, and drops a request whose device gave up waiting for its turn', async () => {
      const couriers = await Promise.all(Array.from({ length: STREAM_OPEN_LANES + 1 }, () => loggedInCourier(server)))
      const hub = server.backend.context.hub
      const subscribe = hub.subscribe.bind(hub)
      const subscribed: string[] = []
      let release!: () => void
      const held = new Promise<void>((resolve) => (release = resolve))
      hub.subscribe = async (depotId, deviceId, wake) => {
        subscribed.push(deviceId)
        await held
        return subscribe(depotId, deviceId, wake)
      }
      try {
        // Opens hold every lane; one more device asks, waits, and gives up before its turn.
        const first = couriers
          .slice(0, STREAM_OPEN_LANES)
          .map((c) => openStream(server.url, c.device.deviceId, c.device.deviceToken))
        await expect.poll(() => subscribed.length).toBe(STREAM_OPEN_LANES)
        const late = couriers[STREAM_OPEN_LANES]!.device
        const gaveUp = new AbortController()
        const asked = fetch(`${server.url}/api/v1/devices/${late.deviceId}/stream`, {
          headers: { authorization: `Bearer ${late.deviceToken}` },
          signal: gaveUp.signal,
        }).catch(() => null)
        await new Promise((resolve) => setTimeout(resolve, 200))
        gaveUp.abort()
        expect(await asked).toBeNull()
        // The backend hears the socket close before the lanes free up, as it does when a device gave up long ago.
        await new Promise((resolve) => setTimeout(resolve, 200))
        release()
        const streams = await Promise.all(first)
        for (const stream of streams) {
          expect(stream.status).toBe(200)
          stream.close()
        }
        await new Promise((resolve) => setTimeout(resolve, 200))
        expect(subscribed).not.toContain(late.deviceId)
        // Its next attempt is served as usual.
        const again = await openStream(server.url, late.deviceId, late.deviceToken)
        expect(again.status).toBe(200)
        again.close()
      } finally {
        release()
        hub.subscribe = subscribe
      }
    })

    it.skipIf(kind !== 'postgres')('reaches a stream held by another instance through LISTEN/NOTIFY', async () => {
      const courier = await loggedInCourier(server, { orders: [{ codFen: 5600 }] })
      const database = openBackendDb(server.target)
      const other = await buildBackend({ database, version: 'test', acquirer: { kind: 'none' } })
      const otherUrl = await other.listen(0)
      const stream = await openStream(otherUrl, courier.device.deviceId, courier.device.deviceToken)
      try {
        const intent = courier.order(0).intent!
        const body = JSON.stringify({
          notificationId: `ntf_${randomBytes(8).toString('hex')}`,
          type: 'payment.succeeded',
          intentId: intent.intentId,
          transactionId: `tx_${randomBytes(8).toString('hex')}`,
          amountFen: 5600,
          occurredAt: new Date().toISOString(),
        })
        const seconds = Math.floor(Date.now() / 1000)
        const answer = await server.api.raw('POST', '/api/v1/acquirer/notifications', {
          body,
          headers: {
            [ACQUIRER_TIMESTAMP_HEADER]: String(seconds),
            [ACQUIRER_SIGNATURE_HEADER]: signNotification(server.sandbox!.identity.webhookSecret, seconds, body),
          },
        })
        expect(answer.status).toBe(200)
        const message = await stream.waitFor((m) => m.event === 'payment')
        expect(message.data).toMatchObject({ intentId: intent.intentId, status: 'paid' })
      } finally {
        stream.close()
        await other.close()
        await database.close()
      }
    })
  })
}
