import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { databasesUnderTest } from '../testing/databases'
import { startTestBackend, type TestBackend } from '../testing/backend'
import { createFleet, postPaymentNotification, StreamFleet, type FleetMessage } from '../testing/fleet'

const DEVICES = 300

for (const { kind, skip } of await databasesUnderTest()) {
  describe.skipIf(skip !== null)(`a fleet of device streams on ${kind}`, () => {
    let server: TestBackend

    beforeAll(async () => {
      server = await startTestBackend({ database: kind, config: { keepAliveMs: 500 } })
    })
    afterAll(async () => server?.stop())

    it('holds hundreds of streams, brings each payment to its own device only, and resumes a blip with nothing missed', async () => {
      // Three depots, so on PostgreSQL the payments travel on three NOTIFY channels.
      const devices = await createFleet(server.db, {
        devices: DEVICES,
        perDepot: 100,
        payableEvery: 5,
        intentsPerDevice: 2,
      })
      const owner = new Map(devices.flatMap((d) => d.intents.map((i) => [i.intentId, d.deviceId] as const)))
      const seen: FleetMessage[] = []
      const fleet = new StreamFleet({
        baseUrl: server.url,
        onMessage: (message) => seen.push(message),
        retryDelay: () => 20 + Math.floor(Math.random() * 200),
      })
      const secret = server.sandbox!.identity.webhookSecret
      try {
        for (let i = 0; i < devices.length; i += 50)
          await Promise.all(devices.slice(i, i + 50).map((d) => fleet.open(d)))
        expect(fleet.connectedCount()).toBe(DEVICES)
        const payable = devices.filter((d) => d.intents.length > 0)

        for (const device of payable)
          expect(await postPaymentNotification(server.url, secret, device.intents[0]!)).toBe(200)
        await expect.poll(() => seen.length).toBe(payable.length)

        // Every stream cut at once; the second payments land while the devices are away.
        fleet.dropAll()
        expect(fleet.connectedCount()).toBe(0)
        for (const device of payable)
          expect(await postPaymentNotification(server.url, secret, device.intents[1]!)).toBe(200)
        await expect.poll(() => fleet.connectedCount(), { timeout: 15_000 }).toBe(DEVICES)
        await expect.poll(() => seen.length).toBe(payable.length * 2)

        for (const message of seen) {
          expect(owner.get((message.data as { intentId: string }).intentId)).toBe(message.deviceId)
        }
        const cursors = new Map(
          (await server.db.selectFrom('stream_cursors').select(['device_id', 'last_seq']).execute()).map((r) => [
            r.device_id,
            r.last_seq,
          ]),
        )
        for (const stream of fleet.streams()) {
          expect(stream.lastId).toBe(cursors.get(stream.device.deviceId) ?? 0)
          expect([stream.gaps, stream.duplicates, stream.unexpectedCloses]).toEqual([0, 0, 0])
        }
        // Keep-alives keep coming on every stream; nothing the backend wrote was misread as a message.
        expect(seen.every((m) => m.event === 'payment')).toBe(true)
      } finally {
        fleet.close()
      }
    }, 60_000)
  })
}
