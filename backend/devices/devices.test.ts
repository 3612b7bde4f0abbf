import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createEnrollmentCode } from './enrollment'
import { HEARTBEAT_UNCHANGED_SKIP_MS } from './handlers'
import { createCourierWithRoute, createDepot } from '../testing/fixtures'
import { databasesUnderTest } from '../testing/databases'
import { startTestBackend, type TestBackend } from '../testing/backend'
import { snapshotTables } from '../testing/snapshot'
import { errorOf } from '../testing/api'

for (const { kind, skip } of await databasesUnderTest()) {
  describe.skipIf(skip !== null)(`devices on ${kind}`, () => {
    let server: TestBackend

    beforeAll(async () => {
      server = await startTestBackend({ database: kind, sandbox: false })
    })
    afterAll(async () => server?.stop())

    it('enrolls a device with a single-use code, and refuses the code a second time', async () => {
      const { depotId } = await createDepot(server.db)
      const { code } = await createEnrollmentCode(server.db, {
        depotId,
        createdBy: null,
        ttlMs: 60_000,
        nowMs: Date.now(),
      })
      const first = await server.api.raw('POST', '/api/v1/devices/enroll', { json: { code: code.toLowerCase() } })
      expect(first.status).toBe(201)
      const body = first.json as { deviceId: string; deviceToken: string; depotId: string }
      expect(body.depotId).toBe(depotId)
      expect(body.deviceToken).toMatch(/^tdv_/)
      const stored = await server.db
        .selectFrom('devices')
        .selectAll()
        .where('id', '=', body.deviceId)
        .executeTakeFirst()
      expect(stored?.token_hash).not.toContain(body.deviceToken)
      expect(stored?.token_hash).toMatch(/^[0-9a-f]{64}$/)

      const before = await snapshotTables(server.db)
      const again = await server.api.raw('POST', '/api/v1/devices/enroll', { json: { code } })
      expect(again.status).toBe(401)
      expect(errorOf(again.json).code).toBe('enrollment.code_used')
      expect(await snapshotTables(server.db)).toEqual(before)
    })

    it('refuses unknown, expired and malformed codes with a clear error, changing nothing', async () => {
      const { depotId } = await createDepot(server.db)
      const expired = await createEnrollmentCode(server.db, { depotId, createdBy: null, ttlMs: -1, nowMs: Date.now() })
      const before = await snapshotTables(server.db)
      const cases: [unknown, number, string][] = [
        [{ code: 'ABCDEFGH' }, 401, 'enrollment.code_invalid'],
        [{ code: expired.code }, 401, 'enrollment.code_expired'],
        [{ code: 'O0I1O0I1' }, 400, 'request.invalid'],
        [{ code: 12345678 }, 400, 'request.invalid'],
        [{ code: "'; DROP TABLE devices; --" }, 400, 'request.invalid'],
        [{ code: 'ABCDEFGH', extra: true }, 400, 'request.invalid'],
      ]
      for (const [json, status, code] of cases) {
        const answer = await server.api.raw('POST', '/api/v1/devices/enroll', { json })
        expect(answer.status, JSON.stringify(json)).toBe(status)
        expect(errorOf(answer.json).code).toBe(code)
      }
      const malformed = await server.api.raw('POST', '/api/v1/devices/enroll', { body: '{"code": "ABC' })
      expect(malformed.status).toBe(400)
      expect(errorOf(malformed.json).code).toBe('request.malformed_json')
      const notJson = await server.api.raw('POST', '/api/v1/devices/enroll', {
        body: 'code=ABCDEFGH',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
      })
      expect(notJson.status).toBe(415)
      expect(errorOf(notJson.json).code).toBe('request.unsupported_media_type')
      const huge = await server.api.raw('POST', '/api/v1/devices/enroll', {
        json: { code: 'ABCDEFGH', label: 'x'.repeat(2 * 1024 * 1024) },
      })
      expect(huge.status).toBe(413)
      expect(errorOf(huge.json).code).toBe('request.too_large')
      expect(await snapshotTables(server.db)).toEqual(before)
    })

    it('keeps a label with SQL metacharacters as plain text', async () => {
      const { depotId } = await createDepot(server.db)
      const { code } = await createEnrollmentCode(server.db, {
        depotId,
        createdBy: null,
        ttlMs: 60_000,
        nowMs: Date.now(),
      })
      const label = "Robert'); DROP TABLE devices;--"
      const device = await server.api.enroll(code, label)
      const row = await server.db
        .selectFrom('devices')
        .select('label')
        .where('id', '=', device.deviceId)
        .executeTakeFirst()
      expect(row?.label).toBe(label)
      expect(
        Number(
          (
            await server.db
              .selectFrom('devices')
              .select((eb) => eb.fn.countAll().as('n'))
              .executeTakeFirstOrThrow()
          ).n,
        ),
      ).toBeGreaterThan(0)
    })

    it('stores the backlog a heartbeat reports, for the depot', async () => {
      const fixture = await createCourierWithRoute(server.db)
      const device = await server.api.enroll(fixture.enrollmentCode)
      const answer = await server.api.heartbeat(device.deviceToken, device.deviceId, {
        pendingCount: 17,
        oldestPendingAt: '2026-03-01T09:15:00+08:00',
        lastSyncAt: '2026-03-01T09:10:00+08:00',
        appVersion: '0.1.0',
        sentAt: '2026-03-01T09:20:00+08:00',
      })
      expect(Date.parse(answer.serverTime)).toBeGreaterThan(0)
      const row = await server.db
        .selectFrom('devices')
        .selectAll()
        .where('id', '=', device.deviceId)
        .executeTakeFirstOrThrow()
      expect(row).toMatchObject({
        pending_count: 17,
        oldest_pending_at: '2026-03-01T09:15:00+08:00',
        last_sync_at: '2026-03-01T09:10:00+08:00',
        app_version: '0.1.0',
      })
      expect(row.last_contact_ms).toBeGreaterThan(Date.now() - 60_000)
    })

    it('writes nothing for a heartbeat that repeats the last one soon after, and writes any change or an old contact', async () => {
      const fixture = await createCourierWithRoute(server.db)
      const device = await server.api.enroll(fixture.enrollmentCode)
      const beat = (pendingCount: number, sentAt: Date) =>
        server.api.heartbeat(device.deviceToken, device.deviceId, {
          pendingCount,
          oldestPendingAt: null,
          lastSyncAt: '2026-03-01T09:10:00+08:00',
          appVersion: '0.1.0',
          sentAt: sentAt.toISOString(),
          battery: { level: 80, charging: false },
        })
      const row = () =>
        server.db
          .selectFrom('devices')
          .select(['heartbeat_sent_at', 'pending_count', 'last_contact_ms'])
          .where('id', '=', device.deviceId)
          .executeTakeFirstOrThrow()
      const first = new Date()
      await beat(0, first)
      const written = await row()
      expect(written.heartbeat_sent_at).toBe(first.toISOString())

      // The same report a moment later (its clock read the same offset, give or take the wire): not written.
      await beat(0, new Date(first.getTime() + 200))
      expect(await row()).toEqual(written)

      // A changed backlog is written at once.
      const third = new Date(first.getTime() + 400)
      await beat(3, third)
      expect(await row()).toMatchObject({ pending_count: 3, heartbeat_sent_at: third.toISOString() })

      // An unchanged report once the last contact is older than the window is written, so contact stays fresh.
      await server.db
        .updateTable('devices')
        .set({ last_contact_ms: Date.now() - HEARTBEAT_UNCHANGED_SKIP_MS - 1_000 })
        .where('id', '=', device.deviceId)
        .execute()
      const fourth = new Date()
      await beat(3, fourth)
      const fresh = await row()
      expect(fresh.heartbeat_sent_at).toBe(fourth.toISOString())
      expect(fresh.last_contact_ms).toBeGreaterThan(Date.now() - 10_000)
    })

    it('refuses a heartbeat for another device, without a token, or with wrong types, changing nothing', async () => {
      const fixture = await createCourierWithRoute(server.db)
      const mine = await server.api.enroll(fixture.enrollmentCode)
      const other = await server.api.enroll(
        (
          await createEnrollmentCode(server.db, {
            depotId: fixture.depotId,
            createdBy: null,
            ttlMs: 60_000,
            nowMs: Date.now(),
          })
        ).code,
      )
      const body = {
        pendingCount: 1,
        oldestPendingAt: null,
        lastSyncAt: null,
        appVersion: '0.1.0',
        sentAt: new Date().toISOString(),
      }
      const before = await snapshotTables(server.db)
      const path = `/api/v1/devices/${other.deviceId}/heartbeat`
      const cases: [Record<string, unknown>, number, string][] = [
        [{ token: mine.deviceToken, json: body }, 403, 'auth.forbidden'],
        [{ json: body }, 401, 'auth.missing'],
        [{ token: 'tdv_' + 'A'.repeat(43), json: body }, 401, 'auth.invalid'],
        [{ token: 'not a token', json: body }, 401, 'auth.malformed'],
        [{ token: 'tsh_' + 'A'.repeat(43), json: body }, 401, 'auth.wrong_kind'],
        [{ token: other.deviceToken, json: { ...body, pendingCount: -1 } }, 400, 'request.invalid'],
        [{ token: other.deviceToken, json: { ...body, pendingCount: 1.5 } }, 400, 'request.invalid'],
        [{ token: other.deviceToken, json: { ...body, pendingCount: '3' } }, 400, 'request.invalid'],
        [{ token: other.deviceToken, json: { ...body, sentAt: 'yesterday' } }, 400, 'request.invalid'],
      ]
      for (const [options, status, code] of cases) {
        const answer = await server.api.raw('POST', path, options)
        expect(answer.status, JSON.stringify(options)).toBe(status)
        expect(errorOf(answer.json).code).toBe(code)
      }
      const unknown = await server.api.raw('POST', '/api/v1/devices/dev_UNKNOWN0000/heartbeat', {
        token: other.deviceToken,
        json: body,
      })
      expect(unknown.status).toBe(403)
      const badId = await server.api.raw('POST', "/api/v1/devices/dev_x'%20OR%201=1/heartbeat", {
        token: other.deviceToken,
        json: body,
      })
      expect(badId.status).toBe(400)
      expect(await snapshotTables(server.db)).toEqual(before)
    })
  })
}
