import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { RefundsResponse, RefundView } from '../../shared/api/closure'
import { DepotFlagsResponse, SupervisorLoginResponse } from '../../shared/api/depot'
import { errorOf } from '../testing/api'
import { startTestBackend, type TestBackend } from '../testing/backend'
import { loggedInCourier, type LoggedInCourier } from '../testing/courier'
import { databasesUnderTest } from '../testing/databases'
import { createSupervisorLogin } from '../testing/fixtures'
import { snapshotTables } from '../testing/snapshot'

/**
 * Refunds end to end (issue 12, DESIGN section 4a): a late digital payment after cash is flagged, a supervisor
 * approves its refund with a note, the backend sends it to the sandbox acquirer under a number derived from the
 * flag, "accepted" stays `processing` until the signed result arrives, and a failed refund is attempted again
 * under the same number. Real HTTP, real database, the sandbox acquirer with its delays and failures.
 */
for (const { kind, skip } of await databasesUnderTest()) {
  describe.skipIf(skip !== null)(`refunds on ${kind}`, () => {
    let server: TestBackend

    beforeAll(async () => {
      server = await startTestBackend({
        database: kind,
        config: { refunds: { queryAfterMs: 200, pollMs: 50, retryMaxMs: 500 } },
      })
    })
    afterAll(async () => server?.stop())

    async function supervisorOf(depotId: string) {
      const login = await createSupervisorLogin(server.db, depotId)
      const session = await server.api.call('POST', '/api/v1/depot/sessions', SupervisorLoginResponse, {
        json: { login: login.login, password: login.password },
      })
      return session.supervisorToken
    }

    /** Cash taken at the door, then the customer's QR payment lands: the late payment is flagged for refund. */
    async function latePaymentFlag(courier: LoggedInCourier, token: string) {
      const order = courier.order(0)
      const paid = await server.api.pay(order.intent!.qrPayload)
      await server.api.push(courier.device.deviceToken, courier.device.deviceId, [
        courier.events.next(
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
      const flags = async () =>
        (await server.api.call('GET', '/api/v1/depot/flags', DepotFlagsResponse, { token })).flags
      await expect.poll(flags, { timeout: 10_000 }).toHaveLength(1)
      const [flag] = await flags()
      expect(flag).toMatchObject({ kind: 'late_payment_after_cash', orderId: order.orderId })
      return { flag: flag!, order, paid }
    }

    const approve = (token: string, json: unknown) => server.api.raw('POST', '/api/v1/depot/refunds', { token, json })
    const refundsOf = async (token: string) =>
      (await server.api.call('GET', '/api/v1/depot/refunds', RefundsResponse, { token })).refunds

    it('refunds a flagged late payment once, under the number derived from the flag, and only on the signed result', async () => {
      await server.api.setBehaviour({ refundDelayMs: 600, refundOutcome: 'succeed' })
      const courier = await loggedInCourier(server, { orders: [{ codFen: 6660 }] })
      const token = await supervisorOf(courier.fixture.depotId)
      const { flag, order } = await latePaymentFlag(courier, token)

      const first = await approve(token, { flagId: flag.flagId, note: 'paid twice at the door' })
      expect(first.status).toBe(200)
      const refund = RefundView.parse(first.json)
      expect(refund).toMatchObject({
        kind: 'approved',
        flagId: flag.flagId,
        orderId: order.orderId,
        amountFen: 6660,
        note: 'paid twice at the door',
      })
      expect(['requested', 'processing']).toContain(refund.status)
      // Accepted is not succeeded: the acquirer takes 600 ms to reach its result.
      await expect.poll(async () => (await refundsOf(token))[0]?.status, { timeout: 5_000 }).toBe('processing')

      // Asking again (a double tap, a retry after a lost answer) is the same refund, never a second one.
      const again = RefundView.parse((await approve(token, { flagId: flag.flagId, note: 'again' })).json)
      expect(again.refundNo).toBe(refund.refundNo)

      await expect.poll(async () => (await refundsOf(token))[0]?.status, { timeout: 10_000 }).toBe('succeeded')
      const refunds = await refundsOf(token)
      expect(refunds).toHaveLength(1)
      expect(refunds[0]!.settledAt).not.toBeNull()
      const acquirerRefunds = server
        .sandbox!.store.sqlite.prepare('select refund_no, amount_fen, status from refunds where refund_no = ?')
        .all(refund.refundNo)
      expect(acquirerRefunds).toEqual([{ refund_no: refund.refundNo, amount_fen: 6660, status: 'succeeded' }])

      const intent = await server.db
        .selectFrom('payment_intents')
        .select(['final_state'])
        .where('id', '=', order.intent!.intentId)
        .executeTakeFirstOrThrow()
      expect(intent.final_state).toBe('refunded')
      const stored = await server.db
        .selectFrom('flags')
        .select('resolved_ms')
        .where('id', '=', flag.flagId)
        .executeTakeFirstOrThrow()
      expect(stored.resolved_ms).not.toBeNull()
    })

    it('shows a failed refund as failed, and retries it under the same number until it succeeds', async () => {
      await server.api.setBehaviour({ refundDelayMs: 100, refundOutcome: 'fail_first' })
      const courier = await loggedInCourier(server, { orders: [{ codFen: 2500 }] })
      const token = await supervisorOf(courier.fixture.depotId)
      const { flag } = await latePaymentFlag(courier, token)
      const refund = RefundView.parse((await approve(token, { flagId: flag.flagId, note: 'late payment' })).json)

      await expect.poll(async () => (await refundsOf(token))[0]?.status, { timeout: 10_000 }).toBe('failed')
      expect((await refundsOf(token))[0]).toMatchObject({ failure: 'account_frozen' })

      // Only a failed refund can be retried; the retry keeps its number and the acquirer attempts it again.
      const retried = await server.api.raw('POST', `/api/v1/depot/refunds/${refund.refundNo}/retry`, {
        token,
        json: { note: 'customer unfroze the account' },
      })
      expect(retried.status).toBe(200)
      expect(RefundView.parse(retried.json).refundNo).toBe(refund.refundNo)
      await expect.poll(async () => (await refundsOf(token))[0]?.status, { timeout: 10_000 }).toBe('succeeded')
      const acquirerRefunds = server
        .sandbox!.store.sqlite.prepare('select attempts, status from refunds where refund_no = ?')
        .all(refund.refundNo)
      expect(acquirerRefunds).toEqual([{ attempts: 2, status: 'succeeded' }])
      const notFailed = await server.api.raw('POST', `/api/v1/depot/refunds/${refund.refundNo}/retry`, {
        token,
        json: {},
      })
      expect(notFailed.status).toBe(409)
      expect(errorOf(notFailed.json).code).toBe('refund.not_failed')
    })

    it('tells the order’s courier on their own device how the refund stands, and no other device; the manifest repeats it', async () => {
      await server.api.setBehaviour({ refundDelayMs: 100, refundOutcome: 'succeed' })
      const courier = await loggedInCourier(server, { orders: [{ codFen: 4200 }] })
      // A colleague at the same depot, on a device of their own.
      const colleague = await loggedInCourier(server, { depotId: courier.fixture.depotId, orders: [{ codFen: 900 }] })
      const token = await supervisorOf(courier.fixture.depotId)
      const { flag, order } = await latePaymentFlag(courier, token)
      const refund = RefundView.parse((await approve(token, { flagId: flag.flagId, note: 'paid after cash' })).json)
      await expect.poll(async () => (await refundsOf(token))[0]?.status, { timeout: 10_000 }).toBe('succeeded')

      const sent = await server.db
        .selectFrom('stream_messages')
        .select(['device_id', 'data'])
        .where('name', '=', 'refund')
        .where('device_id', 'in', [courier.device.deviceId, colleague.device.deviceId])
        .orderBy('seq')
        .execute()
      expect(sent.length).toBeGreaterThan(0)
      expect(new Set(sent.map((row) => row.device_id))).toEqual(new Set([courier.device.deviceId]))
      expect(JSON.parse(sent.at(-1)!.data)).toEqual({
        orderId: order.orderId,
        intentId: order.intent!.intentId,
        refundNo: refund.refundNo,
        amountFen: 4200,
        status: 'succeeded',
      })

      // A device that missed the stream (a swap, a long time offline) reads the same truth from the manifest.
      const manifest = await server.api.manifest(courier.shift.shiftToken, courier.shift.shiftId)
      const again = manifest.stops.flatMap((stop) => stop.orders).find((o) => o.orderId === order.orderId)
      expect(again?.money).toEqual({
        refunds: [
          {
            orderId: order.orderId,
            intentId: order.intent!.intentId,
            refundNo: refund.refundNo,
            amountFen: 4200,
            status: 'succeeded',
          },
        ],
        settlement: null,
      })
      const theirs = await server.api.manifest(colleague.shift.shiftToken, colleague.shift.shiftId)
      expect(theirs.stops.flatMap((stop) => stop.orders).every((o) => o.money === undefined)).toBe(true)
    })

    it('refuses bad bodies, more than the flag, courier and device tokens and other depots, changing nothing', async () => {
      await server.api.setBehaviour({ refundDelayMs: 0, refundOutcome: 'succeed' })
      const courier = await loggedInCourier(server, { orders: [{ codFen: 1200 }] })
      const token = await supervisorOf(courier.fixture.depotId)
      const { flag } = await latePaymentFlag(courier, token)
      const other = await loggedInCourier(server, { orders: [{ codFen: 1000 }] })
      const otherToken = await supervisorOf(other.fixture.depotId)
      await server.settled()
      const before = await snapshotTables(server.db)

      const refusals: [string | undefined, unknown, number, string][] = [
        [token, { flagId: flag.flagId }, 400, 'request.invalid'],
        [token, { flagId: flag.flagId, note: 'ok', amountFen: 12.5 }, 400, 'request.invalid'],
        [token, { flagId: flag.flagId, note: 'ok', extra: 1 }, 400, 'request.invalid'],
        [token, { flagId: flag.flagId, note: 'more than paid', amountFen: 1201 }, 422, 'refund.exceeds_flag'],
        [token, { flagId: 'flg_nosuchflag1', note: 'ok' }, 404, 'flag.not_found'],
        [otherToken, { flagId: flag.flagId, note: 'not ours' }, 404, 'flag.not_found'],
        [courier.shift.shiftToken, { flagId: flag.flagId, note: 'courier' }, 403, 'auth.supervisors_only'],
        [courier.device.deviceToken, { flagId: flag.flagId, note: 'device' }, 403, 'auth.supervisors_only'],
        [undefined, { flagId: flag.flagId, note: 'nobody' }, 401, 'auth.missing'],
      ]
      for (const [caller, json, status, code] of refusals) {
        const answer = await approve(caller as string, json)
        expect({ status: answer.status, code: errorOf(answer.json).code }).toEqual({ status, code })
      }
      for (const url of ['/api/v1/depot/refunds', '/api/v1/depot/closure']) {
        for (const caller of [courier.shift.shiftToken, courier.device.deviceToken]) {
          expect((await server.api.raw('GET', url, { token: caller })).status).toBe(403)
        }
      }
      expect(await refundsOf(otherToken)).toEqual([])
      await server.settled()
      expect(await snapshotTables(server.db)).toEqual(before)
    })
  })
}
