import { randomBytes } from 'node:crypto'
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import { ACQUIRER_SIGNATURE_HEADER, ACQUIRER_TIMESTAMP_HEADER } from '../../shared/api/acquirer'
import type { AttentionQueueItem } from '../../shared/api/attention'
import type { DeviceEvent } from '../../shared/api/events'
import type { StreamMessage } from '../../shared/api/stream'
import { signNotification } from '../acquirer/signature'
import { errorOf, openStream, type StreamReader } from '../testing/api'
import { databasesUnderTest } from '../testing/databases'
import { startTestBackend, type TestBackend } from '../testing/backend'
import { loggedInCourier, type LoggedInCourier } from '../testing/courier'
import { supervisorSession, type SupervisorSessionFixture } from '../testing/dashboard'
import { snapshotTables } from '../testing/snapshot'

const DAY = '2026-03-02'
const manifestChange = (data: unknown): string => {
  const change = data as StreamMessage<'manifest'>
  return `${change.orderId}:${change.change}`
}
const at = (time: string): string => `${DAY}T${time}+08:00`

for (const { kind, skip } of await databasesUnderTest()) {
  describe.skipIf(skip !== null)(`attention work queue on ${kind}`, () => {
    let server: TestBackend
    let clock = Date.parse(at('08:00:00'))
    let courier: LoggedInCourier
    let other: LoggedInCourier
    let elsewhere: LoggedInCourier
    let supervisor: SupervisorSessionFixture
    let rival: SupervisorSessionFixture
    let courierStream: StreamReader
    let otherStream: StreamReader

    const push = (who: LoggedInCourier, events: DeviceEvent[]) =>
      server.api.push(who.device.deviceToken, who.device.deviceId, events)
    const notifyPaid = async (intentId: string, amountFen: number, transactionId: string, paidAt: string) => {
      const body = JSON.stringify({
        notificationId: `ntf_${randomBytes(8).toString('hex')}`,
        type: 'payment.succeeded',
        intentId,
        transactionId,
        amountFen,
        occurredAt: paidAt,
      })
      const seconds = Math.floor(clock / 1000)
      const answer = await server.api.raw('POST', '/api/v1/acquirer/notifications', {
        body,
        headers: {
          [ACQUIRER_TIMESTAMP_HEADER]: String(seconds),
          [ACQUIRER_SIGNATURE_HEADER]: signNotification(server.sandbox!.identity.webhookSecret, seconds, body),
        },
      })
      expect(answer.status).toBe(200)
    }
    const cashDelivery = (who: LoggedInCourier, orderId: string, codFen: number, time: string): DeviceEvent =>
      who.events.next(
        {
          type: 'delivery.completed',
          payload: { orderId, attempt: 1, method: 'cash', dueFen: codFen, collectedFen: codFen, intentId: null },
        },
        at(time),
      )
    const queue = async (): Promise<{ items: AttentionQueueItem[]; openCount: number }> =>
      supervisor.dashboard.attention({ date: DAY })
    const itemOf = async (match: (item: AttentionQueueItem) => boolean): Promise<AttentionQueueItem> => {
      const item = (await queue()).items.find(match)
      if (!item) throw new Error('no such item')
      return item
    }

    beforeAll(async () => {
      server = await startTestBackend({
        database: kind,
        now: () => clock,
        config: { settlement: { pollMs: 100, retryBaseMs: 50, retryMaxMs: 200 } },
      })
      courier = await loggedInCourier(server, {
        routeDate: DAY,
        orders: [{ codFen: 6660 }, { codFen: 12000 }, { codFen: 5000 }],
      })
      other = await loggedInCourier(server, {
        depotId: courier.fixture.depotId,
        routeDate: DAY,
        orders: [{ codFen: 2500 }],
      })
      elsewhere = await loggedInCourier(server, { routeDate: DAY, orders: [{ codFen: 100 }] })
      supervisor = await supervisorSession(server, courier.fixture.depotId)
      rival = await supervisorSession(server, elsewhere.fixture.depotId)
      clock = Date.parse(at('11:00:00'))
      courierStream = await openStream(server.url, courier.device.deviceId, courier.device.deviceToken)
      otherStream = await openStream(server.url, other.device.deviceId, other.device.deviceToken)

      // Cash for order 0, then its customer pays the QR too: a late payment after cash.
      await push(courier, [cashDelivery(courier, courier.order(0).orderId, 6660, '09:00:00')])
      await notifyPaid(courier.order(0).intent!.intentId, 6660, 'tx_LateAfterCash9', at('09:05:00'))
      // Order 1 "paid, to be verified", which the acquirer never saw.
      await push(courier, [
        courier.events.next(
          {
            type: 'payment.unverified',
            payload: {
              orderId: courier.order(1).orderId,
              intentId: courier.order(1).intent!.intentId,
              amountFen: 12000,
            },
          },
          at('10:00:00'),
        ),
      ])
      // The other courier delivers order 2, which is on the first courier's route: refused.
      const refused = await push(other, [cashDelivery(other, courier.order(2).orderId, 5000, '10:10:00')])
      expect(refused.results[0]).toMatchObject({ status: 'rejected' })
      // The other device's clock is ten minutes behind.
      await server.api.heartbeat(other.device.deviceToken, other.device.deviceId, {
        pendingCount: 0,
        oldestPendingAt: null,
        lastSyncAt: null,
        appVersion: '1.4.0',
        sentAt: new Date(clock - 10 * 60_000).toISOString(),
      })
      await vi.waitFor(async () => {
        const kinds = (await queue()).items.map((item) => item.kind).sort()
        expect(kinds).toEqual(['clock_skew', 'late_payment_after_cash', 'rejected_event', 'unverified_not_found'])
      }, 10_000)
    })
    afterAll(async () => {
      courierStream?.close()
      otherStream?.close()
      await server?.stop()
    })

    it('lists every item with the actions that close it, open first, and counts the open ones', async () => {
      const { items, openCount } = await queue()
      expect(openCount).toBe(4)
      const byKind = Object.fromEntries(items.map((item) => [item.kind, item]))
      expect(byKind.late_payment_after_cash).toMatchObject({
        actions: ['resolve'],
        refundable: true,
        amountFen: 6660,
        orderId: courier.order(0).orderId,
        resolution: null,
      })
      expect(byKind.unverified_not_found).toMatchObject({
        actions: ['owed_by_courier', 'resolve'],
        refundable: false,
        amountFen: 12000,
      })
      expect(byKind.rejected_event).toMatchObject({
        actions: ['resolve', 'reassign'],
        detail: 'order.not_on_manifest',
        deviceId: other.device.deviceId,
        orderId: courier.order(2).orderId,
      })
      expect(byKind.clock_skew).toMatchObject({ actions: ['resolve'], deviceId: other.device.deviceId })
      expect(items.every((item) => /^[a-z_]+:/.test(item.itemId))).toBe(true)
    })

    it('refuses bad input, the wrong action, an unknown item and another depot, changing nothing', async () => {
      const late = await itemOf((item) => item.kind === 'late_payment_after_cash')
      const rejection = await itemOf((item) => item.kind === 'rejected_event')
      await server.settled()
      const before = await snapshotTables(server.db)
      const post = (itemId: string, json: unknown, token = supervisor.token) =>
        server.api.raw('POST', `/api/v1/depot/attention/${encodeURIComponent(itemId)}/resolve`, { token, json })
      const cases: [string, unknown, string | undefined, number, string][] = [
        [late.itemId, { action: 'resolve' }, undefined, 400, 'request.invalid'],
        [late.itemId, { action: 'resolve', note: '   ' }, undefined, 400, 'request.invalid'],
        [late.itemId, { action: 'resolve', note: 'x'.repeat(501) }, undefined, 400, 'request.invalid'],
        [late.itemId, { action: 'refund', note: 'n' }, undefined, 400, 'request.invalid'],
        [late.itemId, { action: 'resolve', note: 'n', extra: 1 }, undefined, 400, 'request.invalid'],
        [rejection.itemId, { action: 'reassign', note: 'n' }, undefined, 400, 'request.invalid'],
        [late.itemId, { action: 'owed_by_courier', note: 'n' }, undefined, 422, 'attention.action_not_allowed'],
        [
          late.itemId,
          { action: 'reassign', note: 'n', courierId: other.fixture.courierId },
          undefined,
          422,
          'attention.action_not_allowed',
        ],
        [
          rejection.itemId,
          { action: 'reassign', note: 'n', courierId: elsewhere.fixture.courierId },
          undefined,
          404,
          'courier.not_found',
        ],
        [
          rejection.itemId,
          { action: 'reassign', note: 'n', courierId: courier.fixture.courierId },
          undefined,
          409,
          'order.already_assigned',
        ],
        ['flag:flg_nothing1234', { action: 'resolve', note: 'n' }, undefined, 404, 'attention.not_found'],
        ['rejection:dev_nothing:1', { action: 'resolve', note: 'n' }, undefined, 404, 'attention.not_found'],
        ['other:thing', { action: 'resolve', note: 'n' }, undefined, 404, 'attention.not_found'],
        ['no-prefix', { action: 'resolve', note: 'n' }, undefined, 400, 'request.invalid'],
        [late.itemId, { action: 'resolve', note: 'n' }, rival.token, 404, 'attention.not_found'],
        [rejection.itemId, { action: 'resolve', note: 'n' }, rival.token, 404, 'attention.not_found'],
      ]
      for (const [itemId, json, token, status, code] of cases) {
        const answer = await post(itemId, json, token)
        expect([itemId, json, answer.status, errorOf(answer.json).code]).toEqual([itemId, json, status, code])
      }
      expect(await snapshotTables(server.db)).toEqual(before)
      expect((await queue()).openCount).toBe(4)
    })

    it('resolves a double or late payment with a note: who and when are kept, the count falls, the device hears it', async () => {
      const late = await itemOf((item) => item.kind === 'late_payment_after_cash')
      clock = Date.parse(at('12:00:00'))
      const answer = await supervisor.dashboard.resolve(late.itemId, {
        action: 'resolve',
        note: '  客户同意改为现金, 数字人民币已退  ',
      })
      expect(answer.openCount).toBe(3)
      expect(answer.item).toMatchObject({
        itemId: late.itemId,
        actions: [],
        resolution: {
          action: 'resolve',
          note: '客户同意改为现金, 数字人民币已退',
          supervisor: { supervisorId: supervisor.supervisorId },
          at: new Date(clock).toISOString(),
          courier: null,
          amountFen: null,
        },
      })
      const flag = await server.db
        .selectFrom('flags')
        .select('resolved_ms')
        .where('id', '=', late.flagId!)
        .executeTakeFirstOrThrow()
      expect(Number(flag.resolved_ms)).toBe(clock)
      const heard = await courierStream.waitFor((m) => m.event === 'resolved')
      expect(heard.data).toMatchObject({
        item: 'flag',
        orderId: courier.order(0).orderId,
        flagKind: 'late_payment_after_cash',
        seq: null,
      })

      // Nothing is deleted: the item stays, closed, with its resolution; the same again is 409 and changes nothing.
      const { items } = await queue()
      expect(items.at(-1)).toMatchObject({ itemId: late.itemId, resolution: { action: 'resolve' } })
      const before = await snapshotTables(server.db)
      const again = await server.api.raw('POST', `/api/v1/depot/attention/${late.itemId}/resolve`, {
        token: supervisor.token,
        json: { action: 'resolve', note: 'again' },
      })
      expect([again.status, errorOf(again.json).code]).toEqual([409, 'attention.already_resolved'])
      expect(await snapshotTables(server.db)).toEqual(before)
    })

    it('marks a payment the acquirer never saw as owed by the courier, with the amount', async () => {
      const owed = await itemOf((item) => item.kind === 'unverified_not_found')
      const answer = await supervisor.dashboard.resolve(owed.itemId, {
        action: 'owed_by_courier',
        note: '快递员确认未收到',
      })
      expect(answer.openCount).toBe(2)
      expect(answer.item.resolution).toMatchObject({
        action: 'owed_by_courier',
        courier: { courierId: courier.fixture.courierId },
        amountFen: 12000,
      })
    })

    it('reassigns the order of a refused event: the order moves, both devices hear it, the refusing device is told', async () => {
      const rejection = await itemOf((item) => item.kind === 'rejected_event')
      const answer = await supervisor.dashboard.resolve(rejection.itemId, {
        action: 'reassign',
        note: '李强顺路, 改派',
        courierId: other.fixture.courierId,
      })
      expect(answer.openCount).toBe(1)
      expect(answer.item.resolution).toMatchObject({
        action: 'reassign',
        courier: { courierId: other.fixture.courierId },
      })
      const order = await server.db
        .selectFrom('orders')
        .select('courier_id')
        .where('id', '=', courier.order(2).orderId)
        .executeTakeFirstOrThrow()
      expect(order.courier_id).toBe(other.fixture.courierId)
      await courierStream.waitFor(
        (m) => m.event === 'manifest' && manifestChange(m.data) === `${courier.order(2).orderId}:reassigned`,
      )
      await otherStream.waitFor(
        (m) => m.event === 'manifest' && manifestChange(m.data) === `${courier.order(2).orderId}:updated`,
      )
      const told = await otherStream.waitFor((m) => m.event === 'resolved')
      expect(told.data).toMatchObject({ item: 'rejection', seq: 1, orderId: courier.order(2).orderId })
    })

    it('resolves a clock skew with a note, leaving nothing open', async () => {
      const skew = await itemOf((item) => item.kind === 'clock_skew')
      const answer = await supervisor.dashboard.resolve(skew.itemId, {
        action: 'resolve',
        note: 'clock reset at the depot',
      })
      expect(answer.openCount).toBe(0)
      const { items } = await queue()
      expect(items.map((item) => item.resolution?.action).sort()).toEqual([
        'owed_by_courier',
        'reassign',
        'resolve',
        'resolve',
      ])
    })
  })
}
