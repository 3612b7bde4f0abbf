import { RefundView } from '../../shared/api/closure'
import { DepotFlagsResponse, OrderChangeResponse, SupervisorLoginResponse } from '../../shared/api/depot'
import { CreateEnrollmentCodeResponse } from '../../shared/api/device'

/** The demo seed's supervisor and second courier, as `--seed demo` prints them. */
const SUPERVISOR = { login: 'zhang.wei', password: 'tuotou-demo' }
export const SECOND_COURIER_ID = 'cou_SZXC0002'

async function post(url: string, body: unknown, token?: string): Promise<unknown> {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify(body),
  })
  const json: unknown = await res.json()
  if (!res.ok) throw new Error(`${url} answered ${res.status}: ${JSON.stringify(json)}`)
  return json
}

/** The supervisor moves an open order to another courier, through the depot's own API. */
export async function reassignOrder(backendUrl: string, orderId: string, courierId = SECOND_COURIER_ID) {
  const session = SupervisorLoginResponse.parse(await post(`${backendUrl}/api/v1/depot/sessions`, SUPERVISOR))
  return OrderChangeResponse.parse(
    await post(`${backendUrl}/api/v1/depot/orders/${orderId}/reassign`, { courierId }, session.supervisorToken),
  )
}

/** A fresh single-use enrollment code from the supervisor, for a second terminal (a device swap). */
export async function issueEnrollmentCode(backendUrl: string): Promise<string> {
  const session = SupervisorLoginResponse.parse(await post(`${backendUrl}/api/v1/depot/sessions`, SUPERVISOR))
  return CreateEnrollmentCodeResponse.parse(
    await post(`${backendUrl}/api/v1/depot/enrollment-codes`, {}, session.supervisorToken),
  ).code
}

/**
 * The supervisor approves the refund of the money a customer paid twice for a waybill (the flag the backend
 * raised), with a note, through the dashboard's own API. Waits up to `timeoutMs` for the flag to be raised.
 */
export async function approveRefund(backendUrl: string, waybill: string, note: string, timeoutMs = 15_000) {
  const session = SupervisorLoginResponse.parse(await post(`${backendUrl}/api/v1/depot/sessions`, SUPERVISOR))
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const res = await fetch(`${backendUrl}/api/v1/depot/flags`, {
      headers: { authorization: `Bearer ${session.supervisorToken}` },
    })
    const { flags } = DepotFlagsResponse.parse(await res.json())
    const flag = flags.find((f) => f.waybill === waybill && f.intentId !== null && f.kind !== 'unverified_not_found')
    if (flag) {
      return RefundView.parse(
        await post(`${backendUrl}/api/v1/depot/refunds`, { flagId: flag.flagId, note }, session.supervisorToken),
      )
    }
    if (Date.now() > deadline) throw new Error(`no refundable flag for ${waybill} in ${timeoutMs} ms`)
    await new Promise((resolve) => setTimeout(resolve, 200))
  }
}
