import type { ManifestOrder } from '../../shared/api/shift'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { enrollmentQrContent, parseEnrollmentQr } from '../../shared/api/depot-devices'
import { errorOf, openStream } from '../testing/api'
import { startTestBackend, type TestBackend } from '../testing/backend'
import { loggedInCourier } from '../testing/courier'
import { supervisorSession, type SupervisorSessionFixture } from '../testing/dashboard'
import { databasesUnderTest } from '../testing/databases'
import { snapshotTables } from '../testing/snapshot'

const scanOf = (order: ManifestOrder) => ({
  orderId: order.orderId,
  parcelId: order.parcels[0]!.parcelId,
  barcode: order.parcels[0]!.barcode,
  source: 'wedge' as const,
})

for (const { kind, skip } of await databasesUnderTest()) {
  describe.skipIf(skip !== null)(`depot devices: enrollment, battery, retire on ${kind}`, () => {
    let server: TestBackend

    beforeAll(async () => {
      server = await startTestBackend({ database: kind })
    })
    afterAll(async () => server?.stop())

    const heartbeat = (battery?: { level: number; charging: boolean } | null) => ({
      pendingCount: 3,
      oldestPendingAt: new Date(Date.now() - 90_000).toISOString(),
      lastSyncAt: new Date().toISOString(),
      appVersion: '0.1.0',
      sentAt: new Date().toISOString(),
      ...(battery === undefined ? {} : { battery }),
    })

    it('issues a code whose QR content enrolls a device of the depot', async () => {
      const courier = await loggedInCourier(server, { orders: [{ codFen: 100 }] })
      const supervisor = await supervisorSession(server, courier.fixture.depotId)
      const issued = await supervisor.dashboard.enrollmentCode()
      const read = parseEnrollmentQr(enrollmentQrContent(issued.code))
      expect(read).toEqual({ ok: true, code: issued.code })
      const enrolled = await server.api.enroll(read.ok ? read.code : '')
      expect(enrolled.depotId).toBe(courier.fixture.depotId)
    })

    it('shows the battery a device reports, and refuses one that cannot be a battery, changing nothing', async () => {
      const courier = await loggedInCourier(server, { orders: [{ codFen: 100 }] })
      const supervisor = await supervisorSession(server, courier.fixture.depotId)
      const { deviceId, deviceToken } = courier.device
      await server.api.heartbeat(deviceToken, deviceId, heartbeat({ level: 42, charging: true }))
      const row = async () =>
        (await supervisor.dashboard.devices()).devices.find((device) => device.deviceId === deviceId)!
      expect((await row()).battery).toEqual({ level: 42, charging: true })
      expect((await row()).pendingCount).toBe(3)
      expect((await row()).oldestPendingAgeMs).toBeGreaterThanOrEqual(90_000)
      expect((await row()).appVersion).toBe('0.1.0')

      await server.settled()
      const before = await snapshotTables(server.db)
      for (const battery of [
        { level: 101, charging: false },
        { level: -1, charging: false },
        { level: 50.5, charging: false },
        { level: 50, charging: 'yes' },
        { level: 50 },
        { level: 50, charging: true, extra: 1 },
      ]) {
        const answer = await server.api.raw('POST', `/api/v1/devices/${deviceId}/heartbeat`, {
          token: deviceToken,
          json: { ...heartbeat(), battery },
        })
        expect([JSON.stringify(battery), answer.status, errorOf(answer.json).code]).toEqual([
          JSON.stringify(battery),
          400,
          'request.invalid',
        ])
      }
      expect(await snapshotTables(server.db)).toEqual(before)

      // A device that cannot read its battery says nothing, and the dashboard shows none.
      await server.api.heartbeat(deviceToken, deviceId, heartbeat(null))
      expect((await row()).battery).toBeNull()
    })

    describe('retiring a device', () => {
      let supervisor: SupervisorSessionFixture

      it('revokes its token at once with the reason, closes its stream and keeps its history', async () => {
        const courier = await loggedInCourier(server, { orders: [{ codFen: 6660 }, { codFen: 0 }] })
        supervisor = await supervisorSession(server, courier.fixture.depotId)
        const { deviceId, deviceToken } = courier.device
        await server.api.push(deviceToken, deviceId, [
          courier.events.next({
            type: 'parcel.scanned',
            payload: scanOf(courier.order(0)),
          }),
        ])
        await server.api.heartbeat(deviceToken, deviceId, heartbeat({ level: 80, charging: false }))
        const stream = await openStream(server.url, deviceId, deviceToken)
        expect(stream.status).toBe(200)

        const retired = await supervisor.dashboard.retire(deviceId)
        expect(retired.deviceId).toBe(deviceId)
        expect(retired.retiredBy.supervisorId).toBe(supervisor.supervisorId)
        expect(retired.pendingCount).toBe(3)

        // The open stream hears it last, then ends.
        const last = await stream.waitFor((message) => message.event === 'device')
        expect(last.data).toEqual({ change: 'retired', at: retired.retiredAt, by: retired.retiredBy.name })
        stream.close()

        // Every device and shift call is refused with the same reason, saying when and by whom.
        const calls = [
          server.api.raw('POST', `/api/v1/devices/${deviceId}/events`, {
            token: deviceToken,
            json: {
              events: [
                courier.events.next({
                  type: 'parcel.scanned',
                  payload: scanOf(courier.order(1)),
                }),
              ],
            },
          }),
          server.api.raw('POST', `/api/v1/devices/${deviceId}/heartbeat`, { token: deviceToken, json: heartbeat() }),
          server.api.raw('GET', `/api/v1/devices/${deviceId}/stream`, { token: deviceToken }),
          server.api.raw('POST', '/api/v1/shifts', {
            token: deviceToken,
            json: { staffId: courier.fixture.staffId, pin: courier.fixture.pin },
          }),
          server.api.raw('GET', `/api/v1/shifts/${courier.shift.shiftId}/manifest`, {
            token: courier.shift.shiftToken,
          }),
        ]
        for (const answer of await Promise.all(calls)) {
          expect(answer.status).toBe(401)
          expect(errorOf(answer.json)).toEqual({
            code: 'device.retired',
            message: expect.stringContaining('retired') as string,
            details: { retiredAt: retired.retiredAt, retiredBy: retired.retiredBy.name },
          })
        }

        // Its history stays: the row, the event it sent, and the dashboard lists it as retired.
        const events = await server.db
          .selectFrom('device_events')
          .select('seq')
          .where('device_id', '=', deviceId)
          .execute()
        expect(events.map((event) => event.seq)).toEqual([1])
        const listed = (await supervisor.dashboard.devices()).devices.find((device) => device.deviceId === deviceId)
        expect(listed?.retired).toEqual({ at: retired.retiredAt, by: retired.retiredBy.name })
        expect(listed?.battery).toEqual({ level: 80, charging: false })

        // Retiring it again is refused and changes nothing.
        const before = await snapshotTables(server.db)
        const again = await server.api.raw('POST', `/api/v1/depot/devices/${deviceId}/retire`, {
          token: supervisor.token,
        })
        expect([again.status, errorOf(again.json).code]).toEqual([409, 'device.already_retired'])
        const unknown = await server.api.raw('POST', '/api/v1/depot/devices/dev_Nobody000000001/retire', {
          token: supervisor.token,
        })
        expect([unknown.status, errorOf(unknown.json).code]).toEqual([404, 'device.not_found'])
        expect(await snapshotTables(server.db)).toEqual(before)

        // The courier carries on on another terminal: its manifest is the backend's truth.
        const code = await supervisor.dashboard.enrollmentCode()
        const other = await server.api.enroll(code.code)
        const shift = await server.api.login(other.deviceToken, courier.fixture.staffId, courier.fixture.pin)
        const manifest = await server.api.manifest(shift.shiftToken, shift.shiftId)
        expect(manifest.stops.flatMap((stop) => stop.orders).map((order) => order.orderId)).toEqual([
          courier.order(0).orderId,
          courier.order(1).orderId,
        ])
      })

      it('two supervisors retiring the same device at once: exactly one retires it', async () => {
        const courier = await loggedInCourier(server, { orders: [{ codFen: 100 }] })
        const one = await supervisorSession(server, courier.fixture.depotId)
        const two = await supervisorSession(server, courier.fixture.depotId)
        const answers = await Promise.all(
          [one, two].map((who) =>
            server.api.raw('POST', `/api/v1/depot/devices/${courier.device.deviceId}/retire`, { token: who.token }),
          ),
        )
        expect(answers.map((answer) => answer.status).sort()).toEqual([200, 409])
        const row = await server.db
          .selectFrom('devices')
          .select(['revoked_at', 'retired_by'])
          .where('id', '=', courier.device.deviceId)
          .executeTakeFirstOrThrow()
        const winner = answers[0]!.status === 200 ? one : two
        expect(row.retired_by).toBe(winner.supervisorId)
      })

      it('a push racing the retire is applied whole before it or refused whole after it, never lost silently', async () => {
        const courier = await loggedInCourier(server, { orders: Array.from({ length: 40 }, () => ({ codFen: 0 })) })
        const boss = await supervisorSession(server, courier.fixture.depotId)
        const { deviceId, deviceToken } = courier.device
        // Forty single-event pushes in order, the retire landing somewhere among them.
        const batches = Array.from({ length: 40 }, (_, i) =>
          courier.events.next({
            type: 'parcel.scanned',
            payload: scanOf(courier.order(i)),
          }),
        )
        const answers: { seq: number; status: number; code: string | null }[] = []
        let retiredAt: string | null = null
        const pushes = (async () => {
          for (const event of batches) {
            const answer = await server.api.raw('POST', `/api/v1/devices/${deviceId}/events`, {
              token: deviceToken,
              json: { events: [event] },
            })
            answers.push({
              seq: event.seq,
              status: answer.status,
              code: answer.status === 200 ? null : errorOf(answer.json).code,
            })
            if (answer.status !== 200) break
          }
        })()
        const retire = (async () => {
          // Once a few went through, so the retire lands among pushes in flight.
          while (answers.length < 5) await new Promise((resolve) => setTimeout(resolve, 2))
          retiredAt = (await boss.dashboard.retire(deviceId)).retiredAt
        })()
        await Promise.all([pushes, retire])
        expect(retiredAt).not.toBeNull()

        const applied = await server.db
          .selectFrom('device_events')
          .select('seq')
          .where('device_id', '=', deviceId)
          .orderBy('seq')
          .execute()
        const appliedSeqs = applied.map((row) => row.seq)
        // What was answered 200 is exactly what the backend holds; the first refusal is the retire, with the reason.
        expect(appliedSeqs).toEqual(answers.filter((a) => a.status === 200).map((a) => a.seq))
        expect(appliedSeqs.length).toBeGreaterThanOrEqual(5)
        expect(appliedSeqs.length).toBeLessThan(40)
        const refused = answers.find((a) => a.status !== 200)
        expect(refused).toEqual({ seq: appliedSeqs.length + 1, status: 401, code: 'device.retired' })
        // After the retire, nothing more gets in.
        const late = await server.api.raw('POST', `/api/v1/devices/${deviceId}/events`, {
          token: deviceToken,
          json: { events: [courier.events.next({ type: 'parcel.scanned', payload: scanOf(courier.order(0)) })] },
        })
        expect([late.status, errorOf(late.json).code]).toEqual([401, 'device.retired'])
        const device = await server.db
          .selectFrom('devices')
          .select('acked_seq')
          .where('id', '=', deviceId)
          .executeTakeFirstOrThrow()
        expect(device.acked_seq).toBe(appliedSeqs.length)
      })
    })
  })
}
