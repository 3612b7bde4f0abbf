import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { EXAMPLE_PROOF_RULES, ProofRulesView, ProofsResponse } from '../../shared/api/proof'
import type { Manifest } from '../../shared/api/shift'
import { deliveryCodeMatches } from '../../shared/delivery-code'
import { errorOf } from '../testing/api'
import { startTestBackend, type TestBackend } from '../testing/backend'
import { loggedInCourier, type LoggedInCourier } from '../testing/courier'
import { supervisorSession, type SupervisorSessionFixture } from '../testing/dashboard'
import { databasesUnderTest } from '../testing/databases'
import { snapshotTables } from '../testing/snapshot'
import type { SandboxSmsMessage } from './sms'

const DAY = '2026-03-02'
const NOON = Date.parse(`${DAY}T12:00:00+08:00`)
const RULES = '/api/v1/depot/proof/rules'
const PROOFS = `/api/v1/depot/dashboard/proofs?date=${DAY}`

for (const { kind, skip } of await databasesUnderTest()) {
  describe.skipIf(skip !== null)(`proof of delivery at the backend on ${kind}`, () => {
    let server: TestBackend
    let courier: LoggedInCourier
    let elsewhere: LoggedInCourier
    let supervisor: SupervisorSessionFixture
    let rival: SupervisorSessionFixture
    let manifest: Manifest

    const sms = (): readonly SandboxSmsMessage[] =>
      (server.backend.context.sms as unknown as { messages(): readonly SandboxSmsMessage[] }).messages()

    beforeAll(async () => {
      server = await startTestBackend({ database: kind, now: () => NOON })
      // ¥600.00 needs a code or a signature under the example rules; ¥66.60 only a photo if left unattended.
      courier = await loggedInCourier(server, {
        routeDate: DAY,
        orders: [{ codFen: 60_000 }, { codFen: 6660 }, { codFen: 70_000 }],
      })
      elsewhere = await loggedInCourier(server, { routeDate: DAY, orders: [{ codFen: 90_000 }] })
      supervisor = await supervisorSession(server, courier.fixture.depotId)
      rival = await supervisorSession(server, elsewhere.fixture.depotId)
    })
    afterAll(async () => server?.stop())

    it('sends no proof with the manifest while the depot has no rules', () => {
      for (const order of courier.manifest.stops.flatMap((s) => s.orders)) expect(order.proof).toBeUndefined()
      expect(sms()).toEqual([])
    })

    it("turns the depot's rules into each order's policy, with a salted code hash and one SMS per attempt", async () => {
      const set = await server.api.raw('PUT', RULES, { token: supervisor.token, json: EXAMPLE_PROOF_RULES })
      expect(set.status).toBe(200)
      expect(ProofRulesView.parse(set.json).rules).toEqual(EXAMPLE_PROOF_RULES)

      manifest = await server.api.manifest(courier.shift.shiftToken, courier.shift.shiftId)
      const [dear, cheap] = manifest.stops.flatMap((s) => s.orders)
      expect(dear!.proof!.policy.handover.recipient).toEqual([['code', 'signature']])
      expect(dear!.proof!.policy.handover.door).toEqual([['photo']])
      expect(dear!.proof!.policy.notHome).toEqual({ requires: [['photo']], call: true })
      expect(cheap!.proof!.policy.handover.recipient).toEqual([])
      expect(cheap!.proof!.code).toBeNull()
      const check = dear!.proof!.code!
      expect(check.maxAttempts).toBe(5)

      const messages = sms().filter((m) => m.orderId === dear!.orderId)
      expect(messages).toHaveLength(1)
      const code = /签收码 (\d{6})/.exec(messages[0]!.text)![1]!
      expect(await deliveryCodeMatches(check, code)).toBe(true)
      expect(await deliveryCodeMatches(check, code === '000000' ? '000001' : '000000')).toBe(false)
      // The code itself is nowhere in the manifest or the backend's tables.
      expect(JSON.stringify(manifest)).not.toContain(code)
      const stored = await server.db.selectFrom('delivery_codes').selectAll().execute()
      expect(JSON.stringify(stored)).not.toContain(`"${code}"`)

      // Fetched again (a re-login, a second device): the same check, and no second message.
      const again = await server.api.manifest(courier.shift.shiftToken, courier.shift.shiftId)
      expect(again.stops[0]!.orders[0]!.proof!.code).toEqual(check)
      expect(sms().filter((m) => m.orderId === dear!.orderId)).toHaveLength(1)
      // The other depot's rules are its own.
      const theirs = await server.api.manifest(elsewhere.shift.shiftToken, elsewhere.shift.shiftId)
      expect(theirs.stops[0]!.orders[0]!.proof).toBeUndefined()
      const sandboxPage = await server.api.raw('GET', `/sandbox/sms/messages?waybill=${dear!.waybill}`, {})
      expect((sandboxPage.json as { messages: SandboxSmsMessage[] }).messages).toHaveLength(1)
    })

    it('records code tries, handovers and overrides, and shows them to the depot with the reason', async () => {
      const [dear, cheap, third] = manifest.stops.flatMap((s) => s.orders)
      const answer = await server.api.push(courier.device.deviceToken, courier.device.deviceId, [
        courier.events.next(
          { type: 'proof.code_checked', payload: { orderId: dear!.orderId, attempt: 1, ok: false, tries: 1 } },
          `${DAY}T09:30:00+08:00`,
        ),
        courier.events.next(
          { type: 'proof.code_checked', payload: { orderId: dear!.orderId, attempt: 1, ok: true, tries: 2 } },
          `${DAY}T09:30:10+08:00`,
        ),
        courier.events.next(
          {
            type: 'delivery.completed',
            payload: {
              orderId: dear!.orderId,
              attempt: 1,
              method: 'cash',
              dueFen: 60_000,
              collectedFen: 60_000,
              intentId: null,
              handover: 'recipient',
            },
          },
          `${DAY}T09:30:20+08:00`,
        ),
        courier.events.next(
          {
            type: 'proof.overridden',
            payload: {
              orderId: cheap!.orderId,
              attempt: 1,
              reason: 'camera_broken',
              note: 'lens cracked',
              waived: ['photo'],
            },
          },
          `${DAY}T10:00:00+08:00`,
        ),
        courier.events.next(
          {
            type: 'delivery.completed',
            payload: {
              orderId: cheap!.orderId,
              attempt: 1,
              method: 'cash',
              dueFen: 6660,
              collectedFen: 6660,
              intentId: null,
              handover: 'door',
            },
          },
          `${DAY}T10:00:05+08:00`,
        ),
        courier.events.next(
          { type: 'proof.code_checked', payload: { orderId: third!.orderId, attempt: 1, ok: false, tries: 1 } },
          `${DAY}T10:00:30+08:00`,
        ),
        // Another courier's order is not this courier's to prove.
        courier.events.next(
          {
            type: 'proof.code_checked',
            payload: { orderId: elsewhere.order(0).orderId, attempt: 1, ok: true, tries: 1 },
          },
          `${DAY}T10:01:00+08:00`,
        ),
      ])
      expect(answer.results.map((r) => [r.status, r.reason])).toEqual([
        ['applied', null],
        ['applied', null],
        ['applied', null],
        ['applied', null],
        ['applied', null],
        ['applied', null],
        ['rejected', 'order.not_on_manifest'],
      ])

      const view = ProofsResponse.parse((await server.api.raw('GET', PROOFS, { token: supervisor.token })).json)
      const rows = view.proofs.map((p) => [p.waybill, p.outcome, p.handover, p.codeVerified, p.codeTries])
      expect(rows).toHaveLength(3)
      expect(rows).toEqual(
        expect.arrayContaining([
          [third!.waybill, 'open', null, false, 1],
          [dear!.waybill, 'delivered', 'recipient', true, 2],
          [cheap!.waybill, 'delivered', 'door', false, 0],
        ]),
      )
      const overridden = view.proofs.find((p) => p.orderId === cheap!.orderId)!
      expect(overridden.required).toEqual([['photo']])
      expect(overridden.override).toMatchObject({ reason: 'camera_broken', note: 'lens cracked', waived: ['photo'] })
      expect(view.totals).toEqual({
        withProof: 1,
        overrides: 1,
        byCourier: [{ staffId: courier.fixture.staffId, withProof: 1, overrides: 1 }],
      })
      // A terminal that takes over (a device swap) learns the tries already made at an open order's code.
      const swapped = await server.api.manifest(courier.shift.shiftToken, courier.shift.shiftId)
      const held = swapped.stops.flatMap((st) => st.orders).find((o) => o.orderId === third!.orderId)
      expect(held?.proof?.codeTries).toEqual({ used: 1, verified: false })
      // The other depot's supervisor sees none of it.
      const theirs = ProofsResponse.parse((await server.api.raw('GET', PROOFS, { token: rival.token })).json)
      expect(theirs.proofs.map((p) => p.orderId)).not.toContain(dear!.orderId)
      expect(theirs.totals.overrides).toBe(0)
    })

    it("refuses couriers' and devices' tokens and keeps each supervisor to their own depot, changing nothing", async () => {
      await server.settled()
      const before = await snapshotTables(server.db)
      const endpoints = [
        { method: 'GET', path: RULES },
        { method: 'PUT', path: RULES, json: EXAMPLE_PROOF_RULES },
        { method: 'GET', path: PROOFS },
      ]
      for (const endpoint of endpoints) {
        for (const [token, status, code] of [
          [courier.shift.shiftToken, 403, 'auth.supervisors_only'],
          [courier.device.deviceToken, 403, 'auth.supervisors_only'],
          [undefined, 401, 'auth.missing'],
          ['not-a-token', 401, 'auth.invalid'],
        ] as const) {
          const answer = await server.api.raw(endpoint.method, endpoint.path, { token, json: endpoint.json })
          expect([endpoint.method, endpoint.path, answer.status, errorOf(answer.json).code]).toEqual([
            endpoint.method,
            endpoint.path,
            status,
            code,
          ])
        }
      }
      expect(await snapshotTables(server.db)).toEqual(before)
      // The rival's rules are their depot's own, and setting them leaves this depot's alone.
      const theirs = ProofRulesView.parse((await server.api.raw('GET', RULES, { token: rival.token })).json)
      expect(theirs.updatedAt).toBeNull()
      const set = await server.api.raw('PUT', RULES, {
        token: rival.token,
        json: { ...EXAMPLE_PROOF_RULES, valueOverFen: 100 },
      })
      expect(set.status).toBe(200)
      const mine = ProofRulesView.parse((await server.api.raw('GET', RULES, { token: supervisor.token })).json)
      expect(mine.rules).toEqual(EXAMPLE_PROOF_RULES)
    })

    it('refuses bad rules with a clear 400, changing nothing', async () => {
      const before = await snapshotTables(server.db)
      for (const body of [
        {},
        { ...EXAMPLE_PROOF_RULES, valueOverFen: -1 },
        { ...EXAMPLE_PROOF_RULES, valueOverFen: 1.5 },
        { ...EXAMPLE_PROOF_RULES, valueOverFen: '500.00' },
        { ...EXAMPLE_PROOF_RULES, valueProof: [] },
        { ...EXAMPLE_PROOF_RULES, valueProof: ['photo'] },
        { ...EXAMPLE_PROOF_RULES, unattendedPhoto: 'yes' },
        { ...EXAMPLE_PROOF_RULES, depotId: elsewhere.fixture.depotId },
      ]) {
        const answer = await server.api.raw('PUT', RULES, { token: supervisor.token, json: body })
        expect([answer.status, errorOf(answer.json).code]).toEqual([400, 'request.invalid'])
        expect(errorOf(answer.json).message).toBeTruthy()
      }
      expect(await snapshotTables(server.db)).toEqual(before)
    })

    it('reads stored rules it cannot parse as no rules, never a 500', async () => {
      await server.db
        .updateTable('depot_proof_rules')
        .set({ rules: '{"valueOverFen":"lots"' })
        .where('depot_id', '=', elsewhere.fixture.depotId)
        .execute()
      const answer = await server.api.raw('GET', RULES, { token: rival.token })
      expect(answer.status).toBe(200)
      expect(ProofRulesView.parse(answer.json).rules.valueOverFen).toBeNull()
      expect((await server.api.raw('GET', PROOFS, { token: rival.token })).status).toBe(200)
    })
  })
}
