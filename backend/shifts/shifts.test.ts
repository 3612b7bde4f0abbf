import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { databasesUnderTest } from '../testing/databases'
import { startTestBackend, type TestBackend } from '../testing/backend'
import { createCourierWithRoute, createDepot } from '../testing/fixtures'
import { snapshotTables } from '../testing/snapshot'
import { errorOf } from '../testing/api'

for (const { kind, skip } of await databasesUnderTest()) {
  describe.skipIf(skip !== null)(`courier login on ${kind}`, () => {
    let server: TestBackend
    let clock = Date.now()

    beforeAll(async () => {
      server = await startTestBackend({
        database: kind,
        now: () => clock,
        config: { lockout: { maxAttempts: 3, lockMs: 10 * 60_000 }, shiftTtlMs: 60 * 60_000 },
      })
    })
    afterAll(async () => server?.stop())

    async function enrolled() {
      const fixture = await createCourierWithRoute(server.db, { pin: '864209' })
      const device = await server.api.enroll(fixture.enrollmentCode)
      return { fixture, device }
    }

    it('starts a shift on an enrolled device with staff ID and PIN', async () => {
      const { fixture, device } = await enrolled()
      const shift = await server.api.login(device.deviceToken, fixture.staffId, '864209')
      expect(shift.courier).toEqual({ courierId: fixture.courierId, staffId: fixture.staffId, name: '李强' })
      expect(shift.deviceId).toBe(device.deviceId)
      expect(shift.unverifiedLimits).toEqual({ perOrderFen: 50_000, perShiftFen: 200_000 })
      const row = await server.db
        .selectFrom('shifts')
        .selectAll()
        .where('id', '=', shift.shiftId)
        .executeTakeFirstOrThrow()
      expect(row.route_id).toBe(fixture.routeId)
      expect(row.token_hash).not.toBe(shift.shiftToken)
      const courier = await server.db
        .selectFrom('couriers')
        .select('pin_hash')
        .where('id', '=', fixture.courierId)
        .executeTakeFirstOrThrow()
      expect(courier.pin_hash).toMatch(/^scrypt\$16384\$8\$1\$/)
      expect(courier.pin_hash).not.toContain('864209')
    })

    it('locks a courier after repeated wrong PINs, then lets them in once the lock has passed', async () => {
      const { fixture, device } = await enrolled()
      const attempt = (pin: string) =>
        server.api.raw('POST', '/api/v1/shifts', { token: device.deviceToken, json: { staffId: fixture.staffId, pin } })
      const first = await attempt('0000')
      expect(first.status).toBe(401)
      expect(errorOf(first.json)).toMatchObject({ code: 'shift.bad_credentials', details: { attemptsLeft: 2 } })
      expect((await attempt('0001')).status).toBe(401)
      const locked = await attempt('0002')
      expect(locked.status).toBe(423)
      expect(errorOf(locked.json).code).toBe('shift.locked')
      // Locked means locked: even the right PIN is refused, and no shift starts.
      const before = await snapshotTables(server.db)
      const right = await attempt('864209')
      expect(right.status).toBe(423)
      expect(await snapshotTables(server.db)).toEqual(before)
      clock += 10 * 60_000 + 1
      expect((await attempt('864209')).status).toBe(201)
    })

    it('answers an unknown staff ID exactly like a wrong PIN, and refuses malformed ones', async () => {
      const { fixture, device } = await enrolled()
      const unknown = await server.api.raw('POST', '/api/v1/shifts', {
        token: device.deviceToken,
        json: { staffId: 'SZ99999999', pin: '1234' },
      })
      expect(unknown.status).toBe(401)
      expect(errorOf(unknown.json).code).toBe('shift.bad_credentials')
      const before = await snapshotTables(server.db)
      for (const json of [
        { staffId: "SZ1' OR '1'='1", pin: '1234' },
        { staffId: fixture.staffId, pin: 1234 },
        { staffId: fixture.staffId, pin: '12' },
        { staffId: fixture.staffId },
      ]) {
        const answer = await server.api.raw('POST', '/api/v1/shifts', { token: device.deviceToken, json })
        expect(answer.status).toBe(400)
        expect(errorOf(answer.json).code).toBe('request.invalid')
      }
      expect(await snapshotTables(server.db)).toEqual(before)
    })

    it('refuses a courier of another depot on this device', async () => {
      const { device } = await enrolled()
      const { depotId } = await createDepot(server.db)
      const stranger = await createCourierWithRoute(server.db, { depotId, pin: '1111' })
      const answer = await server.api.raw('POST', '/api/v1/shifts', {
        token: device.deviceToken,
        json: { staffId: stranger.staffId, pin: '1111' },
      })
      expect(answer.status).toBe(401)
    })

    it('expires shift tokens with the shift, and retires one when the courier logs in again', async () => {
      const { fixture, device } = await enrolled()
      const first = await server.api.login(device.deviceToken, fixture.staffId, '864209')
      const second = await server.api.login(device.deviceToken, fixture.staffId, '864209')
      const old = await server.api.raw('GET', `/api/v1/shifts/${first.shiftId}/manifest`, { token: first.shiftToken })
      expect(old.status).toBe(401)
      expect(errorOf(old.json).code).toBe('auth.expired')
      expect(
        (await server.api.raw('GET', `/api/v1/shifts/${second.shiftId}/manifest`, { token: second.shiftToken })).status,
      ).toBe(200)
      const other = await server.api.raw('GET', `/api/v1/shifts/${first.shiftId}/manifest`, {
        token: second.shiftToken,
      })
      expect(other.status).toBe(403)
      expect(errorOf(other.json).code).toBe('auth.forbidden')
      const wrongKind = await server.api.raw('GET', `/api/v1/shifts/${second.shiftId}/manifest`, {
        token: device.deviceToken,
      })
      expect(errorOf(wrongKind.json).code).toBe('auth.wrong_kind')
      clock += 60 * 60_000
      const expired = await server.api.raw('GET', `/api/v1/shifts/${second.shiftId}/manifest`, {
        token: second.shiftToken,
      })
      expect(expired.status).toBe(401)
      expect(errorOf(expired.json).code).toBe('auth.expired')
    })
  })
}
