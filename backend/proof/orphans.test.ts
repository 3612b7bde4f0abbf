import { createHash, randomUUID } from 'node:crypto'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { AttentionQueueResponse } from '../../shared/api/attention'
import type { EvidenceOrphanReport } from '../../shared/api/evidence'
import { errorOf } from '../testing/api'
import { startTestBackend, type TestBackend } from '../testing/backend'
import { loggedInCourier, type LoggedInCourier } from '../testing/courier'
import { supervisorSession, type SupervisorSessionFixture } from '../testing/dashboard'
import { databasesUnderTest } from '../testing/databases'
import { snapshotTables } from '../testing/snapshot'

const DAY = '2026-03-02'
const NOON = Date.parse(`${DAY}T12:00:00+08:00`)
const sha = (bytes: Buffer): string => createHash('sha256').update(bytes).digest('hex')

for (const { kind, skip } of await databasesUnderTest()) {
  describe.skipIf(skip !== null)(`evidence orphans a device reports, on ${kind}`, () => {
    let server: TestBackend
    let courier: LoggedInCourier
    let boss: SupervisorSessionFixture
    let rival: SupervisorSessionFixture
    const clock = NOON

    const heartbeat = (who: LoggedInCourier, orphans: unknown) =>
      server.api.raw('POST', `/api/v1/devices/${who.device.deviceId}/heartbeat`, {
        token: who.device.deviceToken,
        json: {
          pendingCount: 0,
          oldestPendingAt: null,
          lastSyncAt: null,
          appVersion: 'test',
          sentAt: new Date(clock).toISOString(),
          evidenceOrphans: orphans,
        },
      })
    const queue = async (token: string) =>
      AttentionQueueResponse.parse(
        (await server.api.raw('GET', `/api/v1/depot/dashboard/attention?date=${DAY}`, { token })).json,
      ).items.filter((item) => item.kind === 'evidence_orphan_file' || item.kind === 'evidence_missing')

    beforeAll(async () => {
      server = await startTestBackend({ database: kind, now: () => clock })
      courier = await loggedInCourier(server, { routeDate: DAY, orders: [{ codFen: 6660 }] })
      const other = await loggedInCourier(server, { routeDate: DAY, orders: [{ codFen: 3580 }] })
      boss = await supervisorSession(server, courier.fixture.depotId)
      rival = await supervisorSession(server, other.fixture.depotId)
    })
    afterAll(async () => server?.stop())

    it('puts a file without an event and an event without its file in the work queue at once, once however often sent', async () => {
      // The event whose file the device then lost: the backend holds the evidence row, never the file.
      const lostId = randomUUID()
      const capturedAt = new Date(clock - 60_000).toISOString()
      const photo = Buffer.from([0xff, 0xd8, 0xff, 0xe0, 1, 2, 3, 4])
      const pushed = await server.api.push(courier.device.deviceToken, courier.device.deviceId, [
        courier.events.next(
          {
            type: 'proof.evidence_captured',
            payload: {
              orderId: courier.order(0).orderId,
              attempt: 1,
              kind: 'photo',
              evidenceId: lostId,
              sha256: sha(photo),
              bytes: photo.length,
              mime: 'image/jpeg',
              capturedAt,
            },
          },
          capturedAt,
        ),
      ])
      expect(pushed.results[0]!.status).toBe('applied')
      // Within the grace an upload in flight gets, nothing is listed yet.
      expect(await queue(boss.token)).toEqual([])

      const cutShort = `${randomUUID()}.png`
      const orphans: EvidenceOrphanReport[] = [
        { name: cutShort, problem: 'file_without_event', bytes: 3008, foundAt: new Date(clock - 5000).toISOString() },
        {
          name: `${lostId}.jpg`,
          problem: 'event_without_file',
          bytes: 0,
          foundAt: new Date(clock - 5000).toISOString(),
        },
      ]
      expect((await heartbeat(courier, orphans)).status).toBe(200)
      // The device did not hear the answer and sends them again: still one of each.
      expect((await heartbeat(courier, orphans)).status).toBe(200)
      const items = await queue(boss.token)
      expect(
        items.map((item) => [item.itemId, item.kind, item.orderId, item.deviceId, item.detail, item.actions]),
      ).toEqual([
        [
          `evidence:${lostId}`,
          'evidence_missing',
          courier.order(0).orderId,
          courier.device.deviceId,
          'photo',
          ['resolve'],
        ],
        [
          `orphanfile:${courier.device.deviceId}:${cutShort}`,
          'evidence_orphan_file',
          null,
          courier.device.deviceId,
          'signature',
          ['resolve'],
        ],
      ])
      expect(items[1]!.courier).toMatchObject({ staffId: courier.fixture.staffId })
      expect(await queue(rival.token)).toEqual([])

      // A supervisor closes the file's item with a note; it stays as the audit. Another depot cannot.
      const itemId = items[1]!.itemId
      const foreign = await server.api.raw('POST', `/api/v1/depot/attention/${itemId}/resolve`, {
        token: rival.token,
        json: { action: 'resolve', note: 'not mine' },
      })
      expect([foreign.status, errorOf(foreign.json).code]).toEqual([404, 'attention.not_found'])
      const resolved = await server.api.raw('POST', `/api/v1/depot/attention/${itemId}/resolve`, {
        token: boss.token,
        json: { action: 'resolve', note: '快递员确认拍摄时设备重启' },
      })
      expect(resolved.status).toBe(200)
      expect((await queue(boss.token)).find((item) => item.itemId === itemId)).toMatchObject({
        actions: [],
        resolution: { note: '快递员确认拍摄时设备重启' },
      })
    })

    it('refuses a bad orphan report with a clear error and changes nothing', async () => {
      const before = await snapshotTables(server.db)
      for (const bad of [
        [{ name: '../../etc/passwd', problem: 'file_without_event', bytes: 1, foundAt: new Date(clock).toISOString() }],
        [{ name: `${randomUUID()}.jpg`, problem: 'lost', bytes: 1, foundAt: new Date(clock).toISOString() }],
        [
          {
            name: `${randomUUID()}.jpg`,
            problem: 'file_without_event',
            bytes: -1,
            foundAt: new Date(clock).toISOString(),
          },
        ],
        Array.from({ length: 51 }, () => ({
          name: `${randomUUID()}.jpg`,
          problem: 'file_without_event',
          bytes: 1,
          foundAt: new Date(clock).toISOString(),
        })),
      ]) {
        const res = await heartbeat(courier, bad)
        expect([res.status, errorOf(res.json).code]).toEqual([400, 'request.invalid'])
      }
      expect(await snapshotTables(server.db)).toEqual(before)
    })
  })
}
