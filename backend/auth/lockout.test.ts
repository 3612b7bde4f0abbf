import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest'
import { errorOf, type RawAnswer } from '../testing/api'
import { startTestBackend, type TestBackend } from '../testing/backend'
import { databasesUnderTest } from '../testing/databases'
import { createCourierWithRoute, createSupervisorLogin, freshStaffId } from '../testing/fixtures'
import { snapshotTables } from '../testing/snapshot'
import * as secrets from './secrets'

// Every slow check of a PIN or password is counted, so a test can say how many attempts were really tried.
vi.mock('./secrets', async (original) => {
  const actual = await original<typeof secrets>()
  return { ...actual, verifySecret: vi.fn(actual.verifySecret) }
})
const checks = vi.mocked(secrets.verifySecret)

const LIMIT = 5

const median = (values: number[]): number => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!

async function timed(attempt: () => Promise<RawAnswer>): Promise<{ answer: RawAnswer; ms: number }> {
  const started = performance.now()
  const answer = await attempt()
  return { answer, ms: performance.now() - started }
}

/** Status, code and details: everything an answer says, bar the time it names. */
const said = (answer: RawAnswer) => {
  const { code, details } = errorOf(answer.json)
  const { lockedUntil, ...rest } = details
  return { status: answer.status, code, details: rest, locks: typeof lockedUntil === 'string' }
}

for (const { kind, skip } of await databasesUnderTest()) {
  describe.skipIf(skip !== null)(`login lockout on ${kind}`, () => {
    let server: TestBackend
    let clock = Date.now()
    beforeAll(async () => {
      server = await startTestBackend({
        database: kind,
        now: () => clock,
        config: { lockout: { maxAttempts: LIMIT, lockMs: 10 * 60_000 } },
      })
    })
    afterAll(async () => server?.stop())
    beforeEach(() => {
      checks.mockClear()
    })

    async function enrolledCourier() {
      const fixture = await createCourierWithRoute(server.db, { pin: '864209' })
      const device = await server.api.enroll(fixture.enrollmentCode)
      const attempt = (staffId: string, pin: string) =>
        server.api.raw('POST', '/api/v1/shifts', { token: device.deviceToken, json: { staffId, pin } })
      return { fixture, device, attempt }
    }

    it('checks at most the limit of 30 wrong PINs sent at once, and refuses the right one sent with them', async () => {
      const { fixture, attempt } = await enrolledCourier()
      const wrong = Array.from({ length: 30 }, (_, i) => attempt(fixture.staffId, String(100_000 + i)))
      const answers = await Promise.all([...wrong, attempt(fixture.staffId, '864209')])
      const right = answers.at(-1)!

      expect(checks.mock.calls.length).toBeLessThanOrEqual(LIMIT)
      expect(answers.filter((answer) => answer.status === 401).length).toBeLessThanOrEqual(LIMIT)
      expect(answers.every((answer) => answer.status === 401 || answer.status === 423)).toBe(true)
      expect(right.status).toBe(423)
      expect(errorOf(right.json).code).toBe('shift.locked')

      // Locked means locked: the right PIN again is refused without a check, and nothing changes.
      checks.mockClear()
      const before = await snapshotTables(server.db)
      expect((await attempt(fixture.staffId, '864209')).status).toBe(423)
      expect(checks).not.toHaveBeenCalled()
      expect(await snapshotTables(server.db)).toEqual(before)
      const shifts = await server.db
        .selectFrom('shifts')
        .select('id')
        .where('courier_id', '=', fixture.courierId)
        .execute()
      expect(shifts).toEqual([])

      clock += 10 * 60_000 + 1
      expect((await attempt(fixture.staffId, '864209')).status).toBe(201)
    })

    it('answers an unknown staff ID exactly as a known one with a wrong PIN, locks it alike, and takes as long', async () => {
      const { fixture, attempt } = await enrolledCourier()
      const unknown = freshStaffId()
      const known: ReturnType<typeof said>[] = []
      const stranger: ReturnType<typeof said>[] = []
      const knownMs: number[] = []
      const strangerMs: number[] = []
      for (let i = 0; i < LIMIT + 1; i++) {
        const a = await timed(() => attempt(fixture.staffId, '0000'))
        const b = await timed(() => attempt(unknown, '0000'))
        known.push(said(a.answer))
        stranger.push(said(b.answer))
        knownMs.push(a.ms)
        strangerMs.push(b.ms)
      }
      expect(stranger).toEqual(known)
      expect(known.slice(0, LIMIT - 1).map((answer) => answer.status)).toEqual(Array(LIMIT - 1).fill(401))
      expect(known[0]!.details).toEqual({ attemptsLeft: LIMIT - 1 })
      expect(known.slice(LIMIT - 1).every((answer) => answer.status === 423 && answer.locks)).toBe(true)
      // Both are checked against a slow hash: neither answers in a fraction of the other's time.
      const ratio = median(strangerMs.slice(0, LIMIT - 1)) / median(knownMs.slice(0, LIMIT - 1))
      expect(ratio).toBeGreaterThan(1 / 3)
      expect(ratio).toBeLessThan(3)
      expect(checks.mock.calls.length).toBe(2 * LIMIT)
    })

    it("treats a staff ID of another depot, on this depot's device, as unknown", async () => {
      const { attempt } = await enrolledCourier()
      const elsewhere = await createCourierWithRoute(server.db, { pin: '5555' })
      const first = said(await attempt(elsewhere.staffId, '5555'))
      expect(first).toEqual({ status: 401, code: 'shift.bad_credentials', details: { attemptsLeft: 4 }, locks: false })
    })

    it('checks at most the limit of 30 wrong passwords sent at once for a supervisor, and refuses the right one', async () => {
      const fixture = await createCourierWithRoute(server.db)
      const supervisor = await createSupervisorLogin(server.db, fixture.depotId)
      const attempt = (login: string, password: string) =>
        server.api.raw('POST', '/api/v1/depot/sessions', { json: { login, password } })
      const wrong = Array.from({ length: 30 }, (_, i) => attempt(supervisor.login, `wrong ${i}`))
      const answers = await Promise.all([...wrong, attempt(supervisor.login, supervisor.password)])
      expect(checks.mock.calls.length).toBeLessThanOrEqual(LIMIT)
      expect(answers.at(-1)!.status).toBe(423)
      expect(errorOf(answers.at(-1)!.json).code).toBe('depot.locked')
      expect((await attempt(supervisor.login, supervisor.password)).status).toBe(423)
    })

    it('answers an unknown supervisor login exactly as a known one with a wrong password, and locks it alike', async () => {
      const fixture = await createCourierWithRoute(server.db)
      const supervisor = await createSupervisorLogin(server.db, fixture.depotId)
      const attempt = (login: string) =>
        server.api.raw('POST', '/api/v1/depot/sessions', { json: { login, password: 'not it' } })
      const known: ReturnType<typeof said>[] = []
      const stranger: ReturnType<typeof said>[] = []
      for (let i = 0; i < LIMIT + 1; i++) {
        known.push(said(await attempt(supervisor.login)))
        stranger.push(said(await attempt(`nobody.${supervisor.login}`)))
      }
      expect(stranger).toEqual(known)
      expect(known.at(-1)).toMatchObject({ status: 423, code: 'depot.locked', locks: true })
    })
  })
}
