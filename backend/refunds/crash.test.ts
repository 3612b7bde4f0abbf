import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { RefundsResponse, RefundView } from '../../shared/api/closure'
import { DepotFlagsResponse, SupervisorLoginResponse } from '../../shared/api/depot'
import { openBackendDb } from '../db/connect'
import { startSandboxServer, type SandboxServer } from '../sandbox'
import { BackendApi, EventWriter } from '../testing/api'
import { freshDatabase, spawnBackend, type SpawnedBackend } from '../testing/backend'
import { databasesUnderTest } from '../testing/databases'
import { createCourierWithRoute, createSupervisorLogin } from '../testing/fixtures'

/**
 * Fault injection with real processes: the backend is killed -9 right after a refund was approved, and again
 * while the acquirer is processing one; the acquirer (its own server, its own file) carries on. Once the backend
 * is back each refund reaches its result, and the acquirer holds exactly one refund per flag, attempted once.
 */
for (const { kind, skip } of await databasesUnderTest()) {
  describe.skipIf(skip !== null)(`refunds across backend crashes on ${kind}`, () => {
    let backend: SpawnedBackend | null = null
    let acquirer: SandboxServer | null = null
    let drop: (() => Promise<void>) | null = null
    afterAll(async () => {
      await backend?.stop('SIGKILL')
      await acquirer?.close()
      await drop?.()
    })

    it('sends each approved refund exactly once across kill -9, and follows it to its result', async () => {
      const dir = mkdtempSync(join(tmpdir(), 'tuotou-refund-crash-'))
      const target = await freshDatabase(kind, dir)
      drop = target.drop
      acquirer = await startSandboxServer({ file: join(dir, 'acquirer.sqlite') })
      const customer = new BackendApi(acquirer.url)
      await customer.setBehaviour({ refundDelayMs: 1_500 })
      const { apiKey, webhookSecret } = acquirer.sandbox.identity
      backend = await spawnBackend({
        db: target.target,
        sandbox: false,
        env: {
          TUOTOU_ACQUIRER_URL: `${acquirer.url}/sandbox/acquirer`,
          TUOTOU_ACQUIRER_KEY: apiKey,
          TUOTOU_ACQUIRER_SECRET: webhookSecret,
        },
      })
      const database = openBackendDb(backend.db)
      const fixture = await createCourierWithRoute(database.db, { orders: [{ codFen: 6660 }, { codFen: 1990 }] })
      const login = await createSupervisorLogin(database.db, fixture.depotId)
      await database.close()
      let api = new BackendApi(backend.url)
      const token = (
        await api.call('POST', '/api/v1/depot/sessions', SupervisorLoginResponse, {
          json: { login: login.login, password: login.password },
        })
      ).supervisorToken
      const device = await api.enroll(fixture.enrollmentCode)
      const shift = await api.login(device.deviceToken, fixture.staffId, fixture.pin)
      const orders = (await api.manifest(shift.shiftToken, shift.shiftId)).stops.flatMap((stop) => stop.orders)
      // Both orders paid in cash, then both QRs paid as well: two late payments to refund.
      const writer = new EventWriter(shift.shiftId)
      for (const order of orders) {
        const paid = await customer.pay(order.intent!.qrPayload)
        await api.push(device.deviceToken, device.deviceId, [
          writer.next(
            {
              type: 'delivery.completed',
              payload: {
                orderId: order.orderId,
                attempt: 1,
                method: 'cash',
                dueFen: order.codFen,
                collectedFen: order.codFen,
                intentId: null,
              },
            },
            new Date(Date.parse(paid.paidAt) - 30_000).toISOString(),
          ),
        ])
      }
      const flagsNow = async () => (await api.call('GET', '/api/v1/depot/flags', DepotFlagsResponse, { token })).flags
      await expect.poll(async () => (await flagsNow()).length, { timeout: 15_000 }).toBe(2)
      const flags = await flagsNow()
      const flagOf = (orderId: string) => flags.find((f) => f.orderId === orderId)!
      const approve = async (flagId: string) =>
        RefundView.parse(
          (await api.raw('POST', '/api/v1/depot/refunds', { token, json: { flagId, note: 'paid twice' } })).json,
        )
      const refundsNow = async () =>
        (await api.call('GET', '/api/v1/depot/refunds', RefundsResponse, { token })).refunds
      const atAcquirer = (refundNo: string) =>
        acquirer!.sandbox.store.sqlite
          .prepare('select attempts, status from refunds where refund_no = ?')
          .all(refundNo) as { attempts: number; status: string }[]

      // Killed the moment the approval answered: sent or not yet, it is never sent twice.
      const first = await approve(flagOf(orders[0]!.orderId).flagId)
      await backend.stop('SIGKILL')
      backend = await backend.restart()
      api = new BackendApi(backend.url)
      // If it went out before the kill, its signed result found the backend down: the backend learns it by a
      // query, `refunds.queryAfterMs` (10 s) after sending, so a loaded machine needs a wide margin here.
      await expect
        .poll(async () => (await refundsNow()).find((r) => r.refundNo === first.refundNo)?.status, { timeout: 60_000 })
        .toBe('succeeded')
      expect(atAcquirer(first.refundNo)).toEqual([{ attempts: 1, status: 'succeeded' }])

      // Killed while the acquirer processes it: its signed result finds the backend down, and arrives (or is
      // queried) once it is back.
      const second = await approve(flagOf(orders[1]!.orderId).flagId)
      await expect.poll(() => atAcquirer(second.refundNo).length, { timeout: 10_000 }).toBe(1)
      await backend.stop('SIGKILL')
      await expect.poll(() => atAcquirer(second.refundNo)[0]?.status, { timeout: 10_000 }).toBe('succeeded')
      backend = await backend.restart()
      api = new BackendApi(backend.url)
      await expect
        .poll(async () => (await refundsNow()).find((r) => r.refundNo === second.refundNo)?.status, {
          timeout: 60_000,
        })
        .toBe('succeeded')
      expect(atAcquirer(second.refundNo)).toEqual([{ attempts: 1, status: 'succeeded' }])
      expect((await refundsNow()).map((r) => r.status)).toEqual(['succeeded', 'succeeded'])
    }, 180_000)
  })
}
