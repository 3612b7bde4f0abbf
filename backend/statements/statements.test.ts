import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import { ImportStatementResponse, StatementsResponse } from '../../shared/api/closure'
import { errorOf } from '../testing/api'
import { startTestBackend, type TestBackend } from '../testing/backend'
import { loggedInCourier, type LoggedInCourier } from '../testing/courier'
import { supervisorSession, type SupervisorSessionFixture } from '../testing/dashboard'
import { databasesUnderTest } from '../testing/databases'
import { snapshotTables } from '../testing/snapshot'
import { statementFee } from './fees'
import { readStatement, writeStatement } from './format'

const shanghaiDateOf = (iso: string) => new Date(Date.parse(iso) + 8 * 3600_000).toISOString().slice(0, 10)
const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

/**
 * Statement reconciliation (issue 12, section 4): the sandbox acquirer's statement of a day is imported by a
 * supervisor, once, refused with the failing line when malformed or tampered (changing nothing), and matched three
 * ways against the backend's payments and refunds and the devices' events, every mismatch listed once.
 */
for (const { kind, skip } of await databasesUnderTest()) {
  describe.skipIf(skip !== null)(`statement import and matching on ${kind}`, () => {
    let server: TestBackend
    let key: string
    let courier: LoggedInCourier
    let supervisor: SupervisorSessionFixture
    let rival: SupervisorSessionFixture
    let date: string
    const paid: { transactionId: string; paidAt: string }[] = []

    beforeAll(async () => {
      server = await startTestBackend({ database: kind })
      key = server.sandbox!.identity.apiKey
      courier = await loggedInCourier(server, { orders: [{ codFen: 6660 }, { codFen: 12345 }, { codFen: 990 }] })
      supervisor = await supervisorSession(server, courier.fixture.depotId)
      const elsewhere = await loggedInCourier(server, { orders: [{ codFen: 4200 }] })
      rival = await supervisorSession(server, elsewhere.fixture.depotId)
      await server.api.pay(elsewhere.order(0).intent!.qrPayload)
      for (const index of [0, 1]) {
        const order = courier.order(index)
        const payment = await server.api.pay(order.intent!.qrPayload)
        paid.push(payment)
        await server.api.push(courier.device.deviceToken, courier.device.deviceId, [
          courier.events.next({
            type: 'payment.confirmed',
            payload: {
              orderId: order.orderId,
              intentId: order.intent!.intentId,
              amountFen: order.codFen,
              via: 'push',
              transactionId: payment.transactionId,
              paidAt: payment.paidAt,
              receipt: null,
            },
          }),
        ])
      }
      date = shanghaiDateOf(paid[0]!.paidAt)
      const recorded = async () =>
        (
          await server.db
            .selectFrom('payments')
            .select('transaction_id')
            .where('depot_id', '=', courier.fixture.depotId)
            .execute()
        ).length
      await vi.waitFor(async () => expect(await recorded()).toBe(2), 10_000)
      await server.settled()
    })
    afterAll(async () => server?.stop())

    const importCsv = (csv: string, token = supervisor.token) =>
      server.api.raw('POST', '/api/v1/depot/statements', { token, json: { csv } })
    const dayOf = async (token = supervisor.token) =>
      StatementsResponse.parse((await server.api.raw('GET', `/api/v1/depot/statements?date=${date}`, { token })).json)

    it('imports the acquirer statement once: every line matches, and the same file again changes nothing', async () => {
      expect(await dayOf()).toMatchObject({ matched: false, statements: [], mismatches: [] })
      const csv = await server.api.merchant(key).statement(date)
      const first = await importCsv(csv)
      expect(first.status).toBe(200)
      const answer = ImportStatementResponse.parse(first.json)
      expect(answer).toMatchObject({ imported: true, date, mismatches: [] })
      const lines = await server.db
        .selectFrom('statement_lines')
        .selectAll()
        .where('statement_id', '=', answer.statementId)
        .execute()
      expect(lines.map((l) => l.transaction_id).sort()).toEqual(
        readStatement(csv, key)
          .lines.map((l) => l.transactionId)
          .sort(),
      )
      expect(await dayOf()).toMatchObject({ matched: true, agreed: 2, mismatches: [] })

      const before = await snapshotTables(server.db)
      const again = ImportStatementResponse.parse((await importCsv(csv)).json)
      expect(again).toMatchObject({ imported: false, statementId: answer.statementId })
      expect(await snapshotTables(server.db)).toEqual(before)

      // Another depot's supervisor sees none of this depot's lines, and the other depot's payment is not ours.
      expect((await dayOf(rival.token)).matched).toBe(false)
      const rivalAnswer = await importCsv(csv, rival.token)
      expect(rivalAnswer.json).toMatchObject({ imported: true })
      const theirs = ImportStatementResponse.parse(rivalAnswer.json)
      expect(theirs).toMatchObject({ imported: true, statementId: answer.statementId, mismatches: [] })
      expect((await dayOf(rival.token)).agreed).toBe(1)
      expect((await dayOf()).agreed).toBe(2)
    })

    it('refuses a malformed or tampered statement with the line it failed on, changing nothing', async () => {
      const csv = await server.api.merchant(key).statement(date)
      const rows = csv.split('\n')
      const ours = rows.findIndex((row) => row.startsWith(paid[1]!.transactionId))
      expect(ours).toBeGreaterThan(1)
      const withRow = (row: string) => rows.map((r, i) => (i === ours ? row : r)).join('\n')
      const fields = rows[ours]!.split(',')
      const cases: [string, number][] = [
        // The amount changed, well formed: only the checksum over the lines tells.
        [withRow([fields[0], fields[1], '1.23', fields[3], fields[4], fields[5]].join(',')), 1],
        [withRow([fields[0], fields[1], 'abc', fields[3], fields[4], fields[5]].join(',')), ours + 1],
        [
          withRow([fields[0], fields[1], fields[2], fields[3], '2020-01-01T00:00:00.000+08:00', fields[5]].join(',')),
          ours + 1,
        ],
        [withRow(fields.slice(0, 5).join(',')), ours + 1],
        [
          rows
            .slice(0, ours)
            .concat(rows.slice(ours + 1))
            .join('\n'),
          1,
        ],
        [csv.replace('#statement,v1', '#statement,v2'), 1],
        ['not a statement at all', 1],
        [csv.replace('transaction_id,intent_id', 'intent_id,transaction_id'), 2],
        [writeStatement({ merchantId: 'JDL-SZ-0001', date, lines: [] }, 'a key that is not the merchant key'), 1],
      ]
      await server.settled()
      const before = await snapshotTables(server.db)
      for (const [text, line] of cases) {
        const answer = await importCsv(text)
        expect([answer.status, errorOf(answer.json).code, errorOf(answer.json).details.line]).toEqual([
          422,
          'statement.invalid',
          line,
        ])
        expect(errorOf(answer.json).message).toMatch(new RegExp(`line ${line}: `))
      }
      expect(await snapshotTables(server.db)).toEqual(before)
    })

    it('lists each mismatch three ways: missing either side, amount, fee, and a device claim nobody has', async () => {
      // A device claims a payment the acquirer never made for the third order.
      const third = courier.order(2)
      await server.api.push(courier.device.deviceToken, courier.device.deviceId, [
        courier.events.next({
          type: 'payment.confirmed',
          payload: {
            orderId: third.orderId,
            intentId: third.intent!.intentId,
            amountFen: third.codFen,
            via: 'push',
            transactionId: 'tx_claimedByDevice01',
            paidAt: new Date().toISOString(),
            receipt: null,
          },
        }),
      ])
      const real = readStatement(await server.api.merchant(key).statement(date), key)
      const first = real.lines.find((l) => l.transactionId === paid[0]!.transactionId)!
      const second = real.lines.find((l) => l.transactionId === paid[1]!.transactionId)!
      const others = real.lines.filter((l) => l !== first && l !== second)
      const edited = writeStatement(
        {
          merchantId: real.merchantId,
          date,
          lines: [
            ...others,
            // The first payment's fee is not the contracted one; the second payment is not on the statement.
            { ...first, feeFen: statementFee(first.amountFen, 6) + 3 },
            // A payment for this depot's third order at a different amount than any record: unknown to the backend.
            {
              transactionId: 'tx_onlyOnStatement01',
              intentId: third.intent!.intentId,
              amountFen: 990,
              feeFen: statementFee(990, 6),
              timeMs: first.timeMs,
              type: 'payment' as const,
            },
          ].sort((a, b) => a.timeMs - b.timeMs),
        },
        key,
      )
      await pause(20)
      const answer = ImportStatementResponse.parse((await importCsv(edited)).json)
      expect(answer.imported).toBe(true)
      const day = await dayOf()
      expect(day.statements).toHaveLength(2)
      const kinds = day.mismatches.map((m) => [m.kind, m.transactionId])
      expect(kinds).toEqual([
        ['missing_in_backend', 'tx_onlyOnStatement01'],
        ['missing_in_statement', paid[1]!.transactionId],
        ['fee_differs', paid[0]!.transactionId],
        ['device_claim_unknown', 'tx_claimedByDevice01'],
      ])
      expect(day.mismatches[1]).toMatchObject({
        backendFen: 12345,
        deviceFen: 12345,
        orderId: courier.order(1).orderId,
      })
      expect(day.mismatches[2]).toMatchObject({
        expectedFeeFen: statementFee(first.amountFen, 6),
        statementFeeFen: statementFee(first.amountFen, 6) + 3,
      })
      expect(day.mismatches[0]).toMatchObject({ statementFen: 990, orderId: third.orderId, waybill: third.waybill })
      expect(day.agreed).toBe(0)

      // An amount differing on the statement is that one mismatch, not a fee one too.
      const amountEdited = writeStatement(
        {
          merchantId: real.merchantId,
          date,
          lines: [...others, first, { ...second, amountFen: second.amountFen - 100 }].sort(
            (a, b) => a.timeMs - b.timeMs,
          ),
        },
        key,
      )
      await pause(20)
      await importCsv(amountEdited)
      const later = await dayOf()
      expect(later.mismatches.map((m) => [m.kind, m.transactionId])).toEqual([
        ['amount_differs', paid[1]!.transactionId],
        ['device_claim_unknown', 'tx_claimedByDevice01'],
      ])
      expect(later.mismatches[0]).toMatchObject({ statementFen: 12245, backendFen: 12345, deviceFen: 12345 })
      expect(later.agreed).toBe(1)
    })
  })
}
