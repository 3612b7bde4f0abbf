import { API_PREFIX } from '../../shared/api/common'
import { CouriersDayResponse, DASHBOARD_PATHS } from '../../shared/api/dashboard'
import { DepotFlagsResponse, SupervisorLoginResponse } from '../../shared/api/depot'
import { CreateEnrollmentCodeResponse } from '../../shared/api/device'
import { MoneyDayResponse, RefundsResponse, RefundView } from '../../shared/api/closure'
import type { DepotTotals, MoneyTotals, RefundRecord } from './result'

/** A fresh enrollment code from the round's supervisor, for a second terminal (a device swap). */
export async function enrollmentCode(backendUrl: string, login: { login: string; password: string }): Promise<string> {
  const session = await fetch(`${backendUrl}${API_PREFIX}/depot/sessions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ login: login.login, password: login.password }),
  })
  if (!session.ok) throw new Error(`the supervisor could not log in (${session.status}): ${await session.text()}`)
  const { supervisorToken } = SupervisorLoginResponse.parse(await session.json())
  const answer = await fetch(`${backendUrl}${API_PREFIX}/depot/enrollment-codes`, {
    method: 'POST',
    headers: { authorization: `Bearer ${supervisorToken}`, 'content-type': 'application/json' },
    body: '{}',
  })
  if (!answer.ok) throw new Error(`no enrollment code (${answer.status}): ${await answer.text()}`)
  return CreateEnrollmentCodeResponse.parse(await answer.json()).code
}

/**
 * What the depot dashboard says about the round's courier for the round's day, asked the way the dashboard page
 * asks: a supervisor of the depot logs in and reads `/depot/dashboard/couriers`. Digital money the acquirer has
 * not confirmed yet ("awaiting") is counted with the confirmed, as the terminal counts it.
 */
export async function dashboardTotals(
  backendUrl: string,
  login: { login: string; password: string },
  staffId: string,
  routeDate: string,
): Promise<DepotTotals> {
  const session = await fetch(`${backendUrl}${API_PREFIX}/depot/sessions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ login: login.login, password: login.password }),
  })
  if (!session.ok) throw new Error(`the supervisor could not log in (${session.status}): ${await session.text()}`)
  const { supervisorToken } = SupervisorLoginResponse.parse(await session.json())
  const answer = await fetch(`${backendUrl}${API_PREFIX}${DASHBOARD_PATHS.couriers}?date=${routeDate}`, {
    headers: { authorization: `Bearer ${supervisorToken}` },
  })
  if (!answer.ok) throw new Error(`the dashboard answered ${answer.status}: ${await answer.text()}`)
  const day = CouriersDayResponse.parse(await answer.json())
  const courier = day.couriers.find((c) => c.courier.staffId === staffId)
  if (!courier) throw new Error(`the dashboard lists no courier ${staffId} on ${routeDate}`)
  const { cod, orders, failedByReason } = courier
  return {
    delivered: orders.delivered,
    failed: orders.failed,
    // `digitalCount` is every digital delivery; the awaiting ones are among them, only their money is apart.
    digitalCount: cod.digitalCount,
    digitalFen: cod.digitalFen + cod.digitalAwaitingFen,
    cashCount: cod.cashCount,
    cashFen: cod.cashFen,
    prepaid: cod.prepaidCount,
    failedByReason: Object.fromEntries(Object.entries(failedByReason).filter(([, n]) => n > 0)),
  }
}

/** The courier's money of the round's day from the depot's money view (`/depot/dashboard/money`). */
export async function moneyTotals(
  backendUrl: string,
  login: { login: string; password: string },
  staffId: string,
  routeDate: string,
): Promise<MoneyTotals> {
  const session = await fetch(`${backendUrl}${API_PREFIX}/depot/sessions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ login: login.login, password: login.password }),
  })
  if (!session.ok) throw new Error(`the supervisor could not log in (${session.status}): ${await session.text()}`)
  const { supervisorToken } = SupervisorLoginResponse.parse(await session.json())
  const answer = await fetch(`${backendUrl}${API_PREFIX}/depot/dashboard/money?date=${routeDate}`, {
    headers: { authorization: `Bearer ${supervisorToken}` },
  })
  if (!answer.ok) throw new Error(`the money view answered ${answer.status}: ${await answer.text()}`)
  const day = MoneyDayResponse.parse(await answer.json())
  const courier = day.couriers.find((c) => c.courier.staffId === staffId)
  if (!courier) throw new Error(`the money view lists no courier ${staffId} on ${routeDate}`)
  return {
    collectedFen: courier.collectedFen,
    digitalConfirmedFen: courier.digitalConfirmedFen,
    cashFen: courier.cashFen,
    awaitingFen: courier.digitalAwaitingFen,
    owedFen: courier.owedFen,
    refundsDueFen: courier.refundsDueFen,
    refundedFen: courier.refundsPaidFen,
    netFen: courier.netFen,
  }
}

/** Flags that are a customer's money to pay back, the ones the depot's refund route takes. */
const REFUNDABLE = new Set(['late_payment_after_cash', 'double_payment', 'payment_after_revoke'])
const FINAL = new Set(['succeeded', 'failed'])

/**
 * The supervisor approves the refund of every open flag of money to pay back on the courier's day, with a note, as
 * the dashboard's refund dialog does, and waits (up to `timeoutMs`) for each to reach the acquirer's result. With
 * `retry`, a refund that failed is approved again under its number, once, and waited for again.
 */
export async function approveRefunds(
  backendUrl: string,
  login: { login: string; password: string },
  routeDate: string,
  retry: boolean,
  timeoutMs: number,
): Promise<RefundRecord[]> {
  const session = await fetch(`${backendUrl}${API_PREFIX}/depot/sessions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ login: login.login, password: login.password }),
  })
  if (!session.ok) throw new Error(`the supervisor could not log in (${session.status}): ${await session.text()}`)
  const { supervisorToken } = SupervisorLoginResponse.parse(await session.json())
  const call = async (method: 'GET' | 'POST', path: string, body?: unknown): Promise<unknown> => {
    const answer = await fetch(`${backendUrl}${API_PREFIX}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${supervisorToken}`,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    })
    if (!answer.ok) throw new Error(`${method} ${path} answered ${answer.status}: ${await answer.text()}`)
    return answer.json()
  }
  const { flags } = DepotFlagsResponse.parse(await call('GET', '/depot/flags'))
  const approved: string[] = []
  for (const flag of flags.filter((f) => REFUNDABLE.has(f.kind) && f.resolvedAt === null && f.intentId !== null)) {
    const refund = RefundView.parse(
      await call('POST', '/depot/refunds', { flagId: flag.flagId, note: 'round: paid twice' }),
    )
    approved.push(refund.refundNo)
  }
  const settle = async (): Promise<RefundView[]> => {
    const deadline = Date.now() + timeoutMs
    for (;;) {
      const { refunds } = RefundsResponse.parse(await call('GET', `/depot/refunds?date=${routeDate}`))
      const ours = refunds.filter((r) => approved.includes(r.refundNo))
      if (ours.length === approved.length && ours.every((r) => FINAL.has(r.status))) return ours
      if (Date.now() > deadline) return ours
      await new Promise((resolve) => setTimeout(resolve, 200))
    }
  }
  let settled = await settle()
  const retried = new Set<string>()
  if (retry && settled.some((r) => r.status === 'failed')) {
    for (const refund of settled.filter((r) => r.status === 'failed')) {
      await call('POST', `/depot/refunds/${refund.refundNo}/retry`, { note: 'round: tried again' })
      retried.add(refund.refundNo)
    }
    settled = await settle()
  }
  return settled.map((refund) => ({
    refundNo: refund.refundNo,
    waybill: refund.waybill,
    amountFen: refund.amountFen,
    status: refund.status,
    attempts: refund.attempts,
    retried: retried.has(refund.refundNo),
  }))
}
