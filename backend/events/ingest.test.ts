import { randomBytes, randomUUID } from 'node:crypto'
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { ACQUIRER_SIGNATURE_HEADER, ACQUIRER_TIMESTAMP_HEADER } from '../../shared/api/acquirer'
import type { DeviceEvent } from '../../shared/api/events'
import { signNotification } from '../acquirer/signature'
import { openStream, errorOf } from '../testing/api'
import { inOffsetOf } from './courier-time'
import { databasesUnderTest } from '../testing/databases'
import { startTestBackend, type TestBackend } from '../testing/backend'
import { loggedInCourier, type LoggedInCourier } from '../testing/courier'
import { snapshotTables } from '../testing/snapshot'

/**
 * The courier's time `n` seconds into the test, Suzhou time: within the shift the test starts and before the
 * push that carries it (give or take the tolerance), as a courier's own actions are.
 */
let base = Date.now()
beforeEach(() => {
  base = Math.floor(Date.now() / 1000) * 1000
})
const at = (n: number): string => inOffsetOf(base + n * 1000, '+08:00')

for (const { kind, skip } of await databasesUnderTest()) {
  describe.skipIf(skip !== null)(`device event ingest on ${kind}`, () => {
    let server: TestBackend

    beforeAll(async () => {
      server = await startTestBackend({
        database: kind,
        config: { settlement: { pollMs: 100, retryBaseMs: 50, retryMaxMs: 200 } },
      })
    })
    afterAll(async () => server?.stop())
    afterEach(async () => {
      await server.api.setBehaviour({})
    })

    const push = (courier: LoggedInCourier, events: DeviceEvent[]) =>
      server.api.push(courier.device.deviceToken, courier.device.deviceId, events)
    const pushRaw = (courier: LoggedInCourier, json: unknown, token = courier.device.deviceToken) =>
      server.api.raw('POST', `/api/v1/devices/${courier.device.deviceId}/events`, { token, json })
    const route = () =>
      loggedInCourier(server, {
        orders: [
          { codFen: 6660 },
          { codFen: 0, parcels: 2 },
          { codFen: 19900 },
          { codFen: 3580 },
          { codFen: 8990 },
          { codFen: 129900 },
        ],
      })

    it("applies a batch in one go, keeps the courier's times, and answers a replay as duplicates changing nothing", async () => {
      const courier = await route()
      const prepaid = courier.order(1)
      const cash = courier.order(2)
      const w = courier.events
      const batch = [
        w.next(
          {
            type: 'parcel.scanned',
            payload: {
              orderId: prepaid.orderId,
              parcelId: prepaid.parcels[0]!.parcelId,
              barcode: prepaid.parcels[0]!.barcode,
              source: 'wedge',
            },
          },
          at(1),
        ),
        w.next(
          {
            type: 'parcel.scanned',
            payload: {
              orderId: prepaid.orderId,
              parcelId: prepaid.parcels[1]!.parcelId,
              barcode: prepaid.parcels[1]!.barcode.toLowerCase(),
              source: 'camera',
            },
          },
          at(1),
        ),
        w.next(
          {
            type: 'delivery.completed',
            payload: {
              orderId: prepaid.orderId,
              attempt: 1,
              method: 'prepaid',
              dueFen: 0,
              collectedFen: 0,
              intentId: null,
            },
          },
          at(2),
        ),
        w.next(
          { type: 'scan.refused', payload: { code: 'JDXX99999999999', reason: 'not_on_manifest', source: 'wedge' } },
          at(3),
        ),
        w.next(
          {
            type: 'parcel.scanned',
            payload: {
              orderId: cash.orderId,
              parcelId: cash.parcels[0]!.parcelId,
              barcode: cash.parcels[0]!.barcode,
              source: 'manual',
            },
          },
          at(5),
        ),
        w.next(
          { type: 'intent.cancelled', payload: { orderId: cash.orderId, intentId: cash.intent!.intentId } },
          at(6),
        ),
        w.next(
          {
            type: 'delivery.completed',
            payload: {
              orderId: cash.orderId,
              attempt: 1,
              method: 'cash',
              dueFen: 19900,
              collectedFen: 19900,
              intentId: null,
            },
          },
          at(6),
        ),
        w.next({ type: 'shift.cash_declared', payload: { declaredFen: 19900 } }, at(50)),
        w.next({ type: 'shift.closed', payload: { forced: false, pendingCount: 0 } }, at(51)),
      ]
      const first = await push(courier, batch)
      expect(first.ackedThrough).toBe(9)
      expect(first.results.map((r) => [r.seq, r.status, r.reason])).toEqual(batch.map((e) => [e.seq, 'applied', null]))

      const orders = await server.db
        .selectFrom('orders')
        .selectAll()
        .where('id', 'in', [prepaid.orderId, cash.orderId])
        .execute()
      expect(orders.find((o) => o.id === prepaid.orderId)).toMatchObject({
        status: 'delivered',
        delivered_method: 'prepaid',
        closed_at: at(2),
      })
      expect(orders.find((o) => o.id === cash.orderId)).toMatchObject({
        status: 'delivered',
        delivered_method: 'cash',
        collected_cash_fen: 19900,
        closed_at: at(6),
      })
      const attempts = await server.db
        .selectFrom('delivery_attempts')
        .selectAll()
        .where('shift_id', '=', courier.shift.shiftId)
        .orderBy('seq')
        .execute()
      expect(attempts.map((a) => [a.order_id, a.outcome, a.method, a.occurred_at])).toEqual([
        [prepaid.orderId, 'delivered', 'prepaid', at(2)],
        [cash.orderId, 'delivered', 'cash', at(6)],
      ])
      expect(attempts[0]!.occurred_ms).toBe(Date.parse(at(2)))
      const stored = await server.db
        .selectFrom('device_events')
        .selectAll()
        .where('device_id', '=', courier.device.deviceId)
        .orderBy('seq')
        .execute()
      expect(stored.map((e) => e.occurred_at)).toEqual(batch.map((e) => e.occurredAt))
      // The courier's times as sent (their clock was right), never the time of the sync.
      expect(stored.map((e) => e.occurred_ms)).toEqual(batch.map((e) => Date.parse(e.occurredAt)))
      expect(stored.every((e) => e.time_flag === null)).toBe(true)
      expect(
        await server.db
          .selectFrom('cash_declarations')
          .select(['declared_fen', 'declared_at'])
          .where('shift_id', '=', courier.shift.shiftId)
          .execute(),
      ).toEqual([{ declared_fen: 19900, declared_at: at(50) }])
      expect(
        (
          await server.db
            .selectFrom('shifts')
            .select('closed_at')
            .where('id', '=', courier.shift.shiftId)
            .executeTakeFirstOrThrow()
        ).closed_at,
      ).toBe(at(51))
      // The courier cancelled the cash order's intent: the acquirer hears of it.
      await expect
        .poll(
          async () => (await server.api.acquirerRecord(server.sandbox!.identity.apiKey, cash.intent!.intentId)).status,
        )
        .toBe('cancelled')

      const before = await snapshotTables(server.db)
      const again = await push(courier, batch)
      expect(again.ackedThrough).toBe(9)
      expect(again.results.every((r) => r.status === 'duplicate' && r.reason === null)).toBe(true)
      const reversed = await push(courier, [...batch].reverse().slice(0, 4))
      expect(reversed.results.map((r) => r.status)).toEqual(['duplicate', 'duplicate', 'duplicate', 'duplicate'])
      expect(await snapshotTables(server.db)).toEqual(before)
    })

    it('refuses a gap whole, saying which sequence it expected, and changes nothing', async () => {
      const courier = await route()
      const w = courier.events
      const scan = (o: LoggedInCourier['manifest']['stops'][number]['orders'][number]) =>
        w.next({
          type: 'parcel.scanned',
          payload: {
            orderId: o.orderId,
            parcelId: o.parcels[0]!.parcelId,
            barcode: o.parcels[0]!.barcode,
            source: 'wedge',
          },
        })
      await push(courier, [scan(courier.order(0)), scan(courier.order(2)), scan(courier.order(3))])
      const lost = scan(courier.order(4))
      const after = scan(courier.order(5))
      void lost
      const before = await snapshotTables(server.db)
      const gap = await pushRaw(courier, { events: [after] })
      expect(gap.status).toBe(409)
      expect(errorOf(gap.json)).toMatchObject({ code: 'events.sequence_gap', details: { expected: 4, missing: 4 } })
      const inner = await pushRaw(courier, { events: [lost, after, scan(courier.order(0))].filter((e) => e.seq !== 5) })
      expect(inner.status).toBe(409)
      expect(errorOf(inner.json).details).toMatchObject({ expected: 4, missing: 5 })
      expect(await snapshotTables(server.db)).toEqual(before)
      expect((await push(courier, [lost, after])).ackedThrough).toBe(5)
    })

    it('answers a replayed rejection with its reason, refuses a reused sequence, and a batch with a sequence twice', async () => {
      const courier = await route()
      const w = courier.events
      const bad = w.next({
        type: 'payment.qr_shown',
        payload: { orderId: 'ord_NotOnAnyManifest', intentId: 'pi_NotAnIntent00' },
      })
      const first = await push(courier, [bad])
      expect(first.results[0]).toMatchObject({ status: 'rejected', reason: 'order.not_on_manifest' })
      expect(first.ackedThrough).toBe(1)
      const replay = await push(courier, [bad])
      expect(replay.results[0]).toMatchObject({ status: 'rejected', reason: 'order.not_on_manifest' })
      const before = await snapshotTables(server.db)
      const reused = await push(courier, [{ ...bad, eventId: randomUUID() }])
      expect(reused.results[0]).toMatchObject({ status: 'rejected', reason: 'events.sequence_reused' })
      const twice = await pushRaw(courier, {
        events: [
          w.next({ type: 'scan.refused', payload: { code: 'x', reason: 'malformed', source: 'wedge' } }),
          { ...bad, seq: 2 },
        ],
      })
      expect(twice.status).toBe(400)
      expect(errorOf(twice.json).code).toBe('events.bad_batch')
      expect(await snapshotTables(server.db)).toEqual(before)
      // The same event ID under a new sequence is a duplicate that holds the sequence.
      const moved = await push(courier, [{ ...bad, seq: 2 }])
      expect(moved.results[0]).toMatchObject({ status: 'duplicate' })
      expect(moved.ackedThrough).toBe(2)
    })

    it('rejects each event that fails a business check, with its reason, and applies the rest of the batch', async () => {
      const courier = await route()
      const stranger = await route()
      const w = courier.events
      const [digital, prepaid, cash, unverified, failed, big] = [0, 1, 2, 3, 4, 5].map((i) => courier.order(i))
      const foreign = stranger.order(0)
      const cases: [DeviceEvent, string | null][] = [
        [
          w.next({
            type: 'parcel.scanned',
            payload: {
              orderId: prepaid!.orderId,
              parcelId: prepaid!.parcels[0]!.parcelId,
              barcode: prepaid!.parcels[0]!.barcode,
              source: 'wedge',
            },
          }),
          null,
        ],
        [
          w.next({
            type: 'parcel.scanned',
            payload: {
              orderId: foreign.orderId,
              parcelId: foreign.parcels[0]!.parcelId,
              barcode: foreign.parcels[0]!.barcode,
              source: 'wedge',
            },
          }),
          'order.not_on_manifest',
        ],
        [
          w.next({
            type: 'parcel.scanned',
            payload: {
              orderId: prepaid!.orderId,
              parcelId: cash!.parcels[0]!.parcelId,
              barcode: cash!.parcels[0]!.barcode,
              source: 'wedge',
            },
          }),
          'parcel.not_on_order',
        ],
        [
          w.next({
            type: 'parcel.scanned',
            payload: {
              orderId: prepaid!.orderId,
              parcelId: prepaid!.parcels[0]!.parcelId,
              barcode: prepaid!.parcels[1]!.barcode,
              source: 'wedge',
            },
          }),
          'parcel.barcode_mismatch',
        ],
        [
          w.next({
            type: 'payment.qr_shown',
            payload: { orderId: digital!.orderId, intentId: cash!.intent!.intentId },
          }),
          'intent.not_for_order',
        ],
        [
          w.next({
            type: 'delivery.completed',
            payload: {
              orderId: cash!.orderId,
              attempt: 1,
              method: 'cash',
              dueFen: 19800,
              collectedFen: 19800,
              intentId: null,
            },
          }),
          'amount.due_mismatch',
        ],
        [
          w.next({
            type: 'delivery.completed',
            payload: {
              orderId: digital!.orderId,
              attempt: 1,
              method: 'digital',
              dueFen: 6660,
              collectedFen: 6000,
              intentId: digital!.intent!.intentId,
            },
          }),
          'amount.collected_mismatch',
        ],
        [
          w.next({
            type: 'delivery.completed',
            payload: {
              orderId: cash!.orderId,
              attempt: 1,
              method: 'prepaid',
              dueFen: 19900,
              collectedFen: 0,
              intentId: null,
            },
          }),
          'delivery.method_mismatch',
        ],
        [
          w.next({
            type: 'delivery.completed',
            payload: {
              orderId: prepaid!.orderId,
              attempt: 1,
              method: 'cash',
              dueFen: 0,
              collectedFen: 0,
              intentId: null,
            },
          }),
          'delivery.method_mismatch',
        ],
        [
          w.next({
            type: 'delivery.completed',
            payload: {
              orderId: digital!.orderId,
              attempt: 1,
              method: 'digital',
              dueFen: 6660,
              collectedFen: 6660,
              intentId: null,
            },
          }),
          'intent.missing',
        ],
        [
          w.next({
            type: 'delivery.completed',
            payload: {
              orderId: digital!.orderId,
              attempt: 1,
              method: 'digital',
              dueFen: 6660,
              collectedFen: 6660,
              intentId: cash!.intent!.intentId,
            },
          }),
          'intent.not_for_order',
        ],
        [
          w.next({
            type: 'delivery.completed',
            payload: {
              orderId: cash!.orderId,
              attempt: 2,
              method: 'cash',
              dueFen: 19900,
              collectedFen: 19900,
              intentId: null,
            },
          }),
          'delivery.attempt_mismatch',
        ],
        [
          w.next({
            type: 'delivery.completed',
            payload: {
              orderId: cash!.orderId,
              attempt: 1,
              method: 'cash',
              dueFen: 19900,
              collectedFen: 19900,
              intentId: null,
            },
          }),
          null,
        ],
        [
          w.next({ type: 'delivery.failed', payload: { orderId: cash!.orderId, attempt: 1, reason: 'not_home' } }),
          'delivery.already_recorded',
        ],
        [
          w.next({ type: 'delivery.failed', payload: { orderId: failed!.orderId, attempt: 1, reason: 'refused' } }),
          null,
        ],
        [
          w.next({
            type: 'delivery.completed',
            payload: {
              orderId: failed!.orderId,
              attempt: 1,
              method: 'cash',
              dueFen: 8990,
              collectedFen: 8990,
              intentId: null,
            },
          }),
          'delivery.already_recorded',
        ],
        [
          w.next({
            type: 'payment.unverified',
            payload: { orderId: unverified!.orderId, intentId: unverified!.intent!.intentId, amountFen: 3500 },
          }),
          'amount.mismatch',
        ],
        [
          w.next({
            type: 'payment.unverified',
            payload: { orderId: big!.orderId, intentId: big!.intent!.intentId, amountFen: 129900 },
          }),
          'unverified.over_order_limit',
        ],
        [
          w.next({
            type: 'payment.confirmed',
            payload: {
              orderId: digital!.orderId,
              intentId: digital!.intent!.intentId,
              amountFen: 6600,
              via: 'push',
              transactionId: 'tx_x',
              paidAt: at(9),
              receipt: null,
            },
          }),
          'amount.mismatch',
        ],
        [
          w.next({
            type: 'payment.confirmed',
            payload: {
              orderId: digital!.orderId,
              intentId: digital!.intent!.intentId,
              amountFen: 6660,
              via: 'receipt',
              transactionId: 'tx_x',
              paidAt: at(9),
              receipt: null,
            },
          }),
          'receipt.missing',
        ],
        [
          w.next({
            type: 'parcel.scanned',
            payload: {
              orderId: foreign.orderId,
              parcelId: foreign.parcels[0]!.parcelId,
              barcode: foreign.parcels[0]!.barcode,
              source: 'wedge',
            },
          }),
          'order.not_on_manifest',
        ],
        [
          w
            .forShift(stranger.shift.shiftId)
            .next({ type: 'scan.refused', payload: { code: 'x', reason: 'malformed', source: 'wedge' } }),
          'shift.not_on_device',
        ],
        [
          w
            .forShift('shf_NoSuchShift00')
            .next({ type: 'scan.refused', payload: { code: 'x', reason: 'malformed', source: 'wedge' } }),
          'shift.unknown',
        ],
      ]
      w.forShift(courier.shift.shiftId)
      const answer = await push(
        courier,
        cases.map(([event]) => event),
      )
      expect(answer.ackedThrough).toBe(cases.length)
      expect(answer.results.map((r) => [r.seq, r.reason])).toEqual(cases.map(([event, reason]) => [event.seq, reason]))
      expect(answer.results.map((r) => r.status)).toEqual(cases.map(([, reason]) => (reason ? 'rejected' : 'applied')))
      expect(
        await server.db
          .selectFrom('delivery_attempts')
          .select(['order_id', 'outcome'])
          .where('shift_id', '=', courier.shift.shiftId)
          .orderBy('seq')
          .execute(),
      ).toEqual([
        { order_id: cash!.orderId, outcome: 'delivered' },
        { order_id: failed!.orderId, outcome: 'failed' },
      ])
      expect(
        await server.db
          .selectFrom('settlements')
          .selectAll()
          .where('order_id', 'in', [unverified!.orderId, big!.orderId, digital!.orderId])
          .execute(),
      ).toEqual([])
    })

    it('records cash short or over the amount due as the courier confirmed it', async () => {
      const courier = await route()
      const [short, over] = [courier.order(2), courier.order(4)]
      const answer = await push(courier, [
        courier.events.next({
          type: 'delivery.completed',
          payload: {
            orderId: short.orderId,
            attempt: 1,
            method: 'cash',
            dueFen: 19900,
            collectedFen: 19000,
            intentId: null,
          },
        }),
        courier.events.next({
          type: 'delivery.completed',
          payload: {
            orderId: over.orderId,
            attempt: 1,
            method: 'cash',
            dueFen: 8990,
            collectedFen: 9000,
            intentId: null,
          },
        }),
      ])
      expect(answer.results.map((r) => r.status)).toEqual(['applied', 'applied'])
      expect(
        await server.db
          .selectFrom('delivery_attempts')
          .select(['order_id', 'due_fen', 'collected_fen'])
          .where('shift_id', '=', courier.shift.shiftId)
          .orderBy('seq')
          .execute(),
      ).toEqual([
        { order_id: short.orderId, due_fen: 19900, collected_fen: 19000 },
        { order_id: over.orderId, due_fen: 8990, collected_fen: 9000 },
      ])
    })

    it('rejects events for an order reassigned or cancelled under the courier', async () => {
      const courier = await route()
      const other = await route()
      await server.db
        .updateTable('orders')
        .set({ courier_id: other.fixture.courierId })
        .where('id', '=', courier.order(0).orderId)
        .execute()
      await server.db
        .updateTable('orders')
        .set({ status: 'cancelled' })
        .where('id', '=', courier.order(2).orderId)
        .execute()
      const w = courier.events
      const answer = await push(courier, [
        w.next({
          type: 'payment.qr_shown',
          payload: { orderId: courier.order(0).orderId, intentId: courier.order(0).intent!.intentId },
        }),
        w.next({
          type: 'delivery.completed',
          payload: {
            orderId: courier.order(2).orderId,
            attempt: 1,
            method: 'cash',
            dueFen: 19900,
            collectedFen: 19900,
            intentId: null,
          },
        }),
      ])
      expect(answer.results.map((r) => r.reason)).toEqual(['order.reassigned', 'order.cancelled'])
    })

    it("never counts digital money on the device's word: a claim is settled against the acquirer and pushed", async () => {
      const courier = await route()
      const stream = await openStream(server.url, courier.device.deviceId, courier.device.deviceToken)
      try {
        const order = courier.order(0)
        const intentId = order.intent!.intentId
        const w = courier.events
        // The device says "paid" (a push it thinks it saw); the acquirer has no payment.
        await push(courier, [
          w.next({
            type: 'payment.confirmed',
            payload: {
              orderId: order.orderId,
              intentId,
              amountFen: 6660,
              via: 'push',
              transactionId: 'tx_ClaimedOnly001',
              paidAt: at(10),
              receipt: null,
            },
          }),
          w.next({
            type: 'delivery.completed',
            payload: {
              orderId: order.orderId,
              attempt: 1,
              method: 'digital',
              dueFen: 6660,
              collectedFen: 6660,
              intentId,
            },
          }),
        ])
        const verdict = await stream.waitFor((m) => m.event === 'settlement')
        expect(verdict.data).toEqual({ orderId: order.orderId, intentId, verdict: 'not_found', transactionId: null })
        const flag = await stream.waitFor((m) => m.event === 'flag')
        expect(flag.data).toEqual({ orderId: order.orderId, kind: 'unverified_not_found', intentId, amountFen: 6660 })
        expect(
          await server.db.selectFrom('payments').selectAll().where('order_id', '=', order.orderId).execute(),
        ).toEqual([])

        // The customer's payment then does arrive: the verdict turns, the flag is resolved.
        const paid = await server.api.pay(order.intent!.qrPayload)
        const turned = await stream.waitFor(
          (m) => m.event === 'settlement' && (m.data as { verdict: string }).verdict === 'verified',
        )
        expect(turned.data).toMatchObject({ transactionId: paid.transactionId })
        const flags = await server.db.selectFrom('flags').selectAll().where('order_id', '=', order.orderId).execute()
        expect(flags).toHaveLength(1)
        expect(flags[0]!.resolved_ms).not.toBeNull()
      } finally {
        stream.close()
      }
    })

    it('settles "paid, to be verified" against the acquirer on ingest, within the shift limit', async () => {
      const courier = await route()
      const stream = await openStream(server.url, courier.device.deviceId, courier.device.deviceToken)
      try {
        const order = courier.order(3)
        await server.api.setBehaviour({ holdNotifications: true })
        const paid = await server.api.pay(order.intent!.qrPayload)
        const w = courier.events
        const answer = await push(courier, [
          w.next({
            type: 'payment.unverified',
            payload: { orderId: order.orderId, intentId: order.intent!.intentId, amountFen: 3580 },
          }),
        ])
        expect(answer.results[0]!.status).toBe('applied')
        const verdict = await stream.waitFor((m) => m.event === 'settlement')
        expect(verdict.data).toEqual({
          orderId: order.orderId,
          intentId: order.intent!.intentId,
          verdict: 'verified',
          transactionId: paid.transactionId,
        })
        const payment = await server.db
          .selectFrom('payments')
          .selectAll()
          .where('order_id', '=', order.orderId)
          .executeTakeFirstOrThrow()
        expect(payment).toMatchObject({ source: 'query', amount_fen: 3580, transaction_id: paid.transactionId })
      } finally {
        stream.close()
      }

      // The shift's ceiling counts what was already claimed.
      await server.db
        .updateTable('depots')
        .set({ unverified_per_shift_fen: 3580 + 6000 })
        .where('id', '=', courier.fixture.depotId)
        .execute()
      const w = courier.events
      const over = await push(courier, [
        w.next({
          type: 'payment.unverified',
          payload: { orderId: courier.order(0).orderId, intentId: courier.order(0).intent!.intentId, amountFen: 6660 },
        }),
      ])
      expect(over.results[0]).toMatchObject({ status: 'rejected', reason: 'unverified.over_shift_limit' })
    })

    it('checks a receipt confirmed offline by its signature and against the acquirer', async () => {
      const courier = await route()
      const [a, b] = [courier.order(0), courier.order(2)]
      await server.api.setBehaviour({ holdNotifications: true })
      const paidA = await server.api.pay(a.intent!.qrPayload)
      const paidB = await server.api.pay(b.intent!.qrPayload)
      const w = courier.events
      const confirm = (order: typeof a, paid: typeof paidA, receipt: string | null) =>
        w.next({
          type: 'payment.confirmed',
          payload: {
            orderId: order.orderId,
            intentId: order.intent!.intentId,
            amountFen: order.codFen,
            via: 'receipt',
            transactionId: paid.transactionId,
            paidAt: paid.paidAt,
            receipt,
          },
        })
      const [head, claims, signature] = paidA.receiptToken.split('.')
      const flipped = signature!.startsWith('A') ? `B${signature!.slice(1)}` : `A${signature!.slice(1)}`
      const answer = await push(courier, [
        confirm(a, paidA, `${head}.${claims}.${flipped}`),
        confirm(a, paidA, 'TTR1.not-a-receipt'),
        confirm(b, paidB, paidA.receiptToken),
        confirm(a, paidA, paidA.receiptToken),
      ])
      expect(answer.results.map((r) => r.reason)).toEqual([
        'receipt.bad_signature',
        'receipt.malformed',
        'receipt.mismatch',
        null,
      ])
      await expect
        .poll(
          async () =>
            (
              await server.db
                .selectFrom('settlements')
                .select('status')
                .where('intent_id', '=', a.intent!.intentId)
                .executeTakeFirst()
            )?.status,
        )
        .toBe('verified')
      expect(
        (
          await server.db
            .selectFrom('payment_intents')
            .select('status')
            .where('id', '=', a.intent!.intentId)
            .executeTakeFirstOrThrow()
        ).status,
      ).toBe('paid')
    })

    it('flags a digital payment that came on top of cash, either way round, and tells the device', async () => {
      const courier = await route()
      const stream = await openStream(server.url, courier.device.deviceId, courier.device.deviceToken)
      try {
        const late = courier.order(0)
        const double = courier.order(2)
        const paidLate = await server.api.pay(late.intent!.qrPayload)
        const paidDouble = await server.api.pay(double.intent!.qrPayload)
        await expect
          .poll(
            async () =>
              (
                await server.db
                  .selectFrom('payments')
                  .selectAll()
                  .where('order_id', 'in', [late.orderId, double.orderId])
                  .execute()
              ).length,
          )
          .toBe(2)
        const before = (iso: string, ms: number) => new Date(Date.parse(iso) + ms).toISOString()
        const w = courier.events
        const cashEvents = [
          // Cash taken a minute before the customer's digital payment went through: that payment is to refund.
          w.next(
            {
              type: 'delivery.completed',
              payload: {
                orderId: late.orderId,
                attempt: 1,
                method: 'cash',
                dueFen: 6660,
                collectedFen: 6660,
                intentId: null,
              },
            },
            before(paidLate.paidAt, -60_000),
          ),
          // Cash taken after a digital payment: paid twice.
          w.next(
            {
              type: 'delivery.completed',
              payload: {
                orderId: double.orderId,
                attempt: 1,
                method: 'cash',
                dueFen: 19900,
                collectedFen: 19900,
                intentId: null,
              },
            },
            before(paidDouble.paidAt, 60_000),
          ),
        ]
        const answer = await push(courier, cashEvents)
        expect(answer.results.map((r) => r.status)).toEqual(['applied', 'applied'])
        const flags = await Promise.all([
          stream.waitFor((m) => m.event === 'flag' && (m.data as { orderId: string }).orderId === late.orderId),
          stream.waitFor((m) => m.event === 'flag' && (m.data as { orderId: string }).orderId === double.orderId),
        ])
        expect(flags.map((f) => f.data)).toEqual([
          { orderId: late.orderId, kind: 'late_payment_after_cash', intentId: late.intent!.intentId, amountFen: 6660 },
          { orderId: double.orderId, kind: 'double_payment', intentId: double.intent!.intentId, amountFen: 19900 },
        ])
        // Replaying flags nothing twice.
        expect((await push(courier, cashEvents)).results.map((r) => r.status)).toEqual(['duplicate', 'duplicate'])
        expect(
          await server.db
            .selectFrom('flags')
            .selectAll()
            .where('order_id', 'in', [late.orderId, double.orderId])
            .execute(),
        ).toHaveLength(2)

        // Notification late, after the cash ingest: the backend flags it when the payment lands.
        const third = courier.order(3)
        await server.api.setBehaviour({ holdNotifications: true })
        const paidThird = await server.api.pay(third.intent!.qrPayload)
        await push(courier, [
          w.next(
            {
              type: 'delivery.completed',
              payload: {
                orderId: third.orderId,
                attempt: 1,
                method: 'cash',
                dueFen: 3580,
                collectedFen: 3580,
                intentId: null,
              },
            },
            before(paidThird.paidAt, -5_000),
          ),
        ])
        const lateFlag = await stream.waitFor(
          (m) => m.event === 'flag' && (m.data as { orderId: string }).orderId === third.orderId,
        )
        expect(lateFlag.data).toMatchObject({ kind: 'late_payment_after_cash', amountFen: 3580 })
      } finally {
        stream.close()
      }
    })

    it('flags two acquirer payments for one intent as a double payment', async () => {
      const courier = await route()
      const order = courier.order(4)
      const secret = server.sandbox!.identity.webhookSecret
      for (const transactionId of ['tx_FirstPayment01', 'tx_SecondPayment1']) {
        const body = JSON.stringify({
          notificationId: `ntf_${randomBytes(8).toString('hex')}`,
          type: 'payment.succeeded',
          intentId: order.intent!.intentId,
          transactionId,
          amountFen: 8990,
          occurredAt: new Date().toISOString(),
        })
        const seconds = Math.floor(Date.now() / 1000)
        const answer = await server.api.raw('POST', '/api/v1/acquirer/notifications', {
          body,
          headers: {
            [ACQUIRER_TIMESTAMP_HEADER]: String(seconds),
            [ACQUIRER_SIGNATURE_HEADER]: signNotification(secret, seconds, body),
          },
        })
        expect(answer.status).toBe(200)
      }
      const flags = await server.db.selectFrom('flags').selectAll().where('order_id', '=', order.orderId).execute()
      expect(flags.map((f) => [f.kind, f.transaction_id])).toEqual([['double_payment', 'tx_SecondPayment1']])
    })

    it("refuses another device's token, wrong types, an empty or oversize batch, changing nothing", async () => {
      const courier = await route()
      const other = await route()
      const w = courier.events
      const event = w.next({ type: 'scan.refused', payload: { code: 'JD', reason: 'malformed', source: 'wedge' } })
      const before = await snapshotTables(server.db)
      const cases: [unknown, string | undefined, number, string][] = [
        [{ events: [event] }, other.device.deviceToken, 403, 'auth.forbidden'],
        [{ events: [event] }, courier.shift.shiftToken, 401, 'auth.wrong_kind'],
        [{ events: [] }, undefined, 400, 'request.invalid'],
        [{ events: [{ ...event, seq: 0 }] }, undefined, 400, 'request.invalid'],
        [{ events: [{ ...event, seq: '1' }] }, undefined, 400, 'request.invalid'],
        [{ events: [{ ...event, eventId: "1'; DROP TABLE device_events; --" }] }, undefined, 400, 'request.invalid'],
        [{ events: [{ ...event, occurredAt: '2026-03-01 09:00' }] }, undefined, 400, 'request.invalid'],
        [{ events: [{ ...event, type: 'parcel.teleported' }] }, undefined, 400, 'request.invalid'],
        [
          { events: [{ ...event, type: 'shift.cash_declared', payload: { declaredFen: -1 } }] },
          undefined,
          400,
          'request.invalid',
        ],
        [
          { events: [{ ...event, type: 'shift.cash_declared', payload: { declaredFen: 1.5 } }] },
          undefined,
          400,
          'request.invalid',
        ],
        [
          { events: [{ ...event, type: 'shift.cash_declared', payload: { declaredFen: 2 ** 63 } }] },
          undefined,
          400,
          'request.invalid',
        ],
        [{ events: Array.from({ length: 501 }, () => event) }, undefined, 400, 'request.invalid'],
        [
          { events: [{ ...event, payload: { ...event.payload, code: 'x'.repeat(3 * 1024 * 1024) } }] },
          undefined,
          413,
          'request.too_large',
        ],
      ]
      for (const [json, token, status, code] of cases) {
        const answer = await pushRaw(courier, json, token)
        expect(answer.status, code).toBe(status)
        expect(errorOf(answer.json).code).toBe(code)
      }
      expect(await snapshotTables(server.db)).toEqual(before)
    })
  })
}
