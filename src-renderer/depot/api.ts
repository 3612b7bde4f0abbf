import { DEPOT_EVIDENCE_PATH } from '../../shared/api/evidence'
import type { z } from 'zod'
import { API_PREFIX } from '../../shared/api/common'
import {
  ATTENTION_RESOLVE_PATH,
  AttentionQueueResponse,
  ResolveAttentionResponse,
  type ResolveAttentionRequest,
} from '../../shared/api/attention'
import {
  CashDayResponse,
  CouriersDayResponse,
  DASHBOARD_PATHS,
  DevicesStatusResponse,
  LogoutResponse,
  RecordCashResponse,
  SetCourierTargetResponse,
  type RecordCashRequest,
  type SetCourierTargetRequest,
} from '../../shared/api/dashboard'
import { CloseDayResponse, DAY_CLOSE_PATHS, DayReportResponse, type CloseDayRequest } from '../../shared/api/day-close'
import {
  ClosureResponse,
  ImportStatementResponse,
  MoneyDayResponse,
  RefundsResponse,
  RefundView,
  StatementsResponse,
  type ApproveRefundRequest,
} from '../../shared/api/closure'
import { SupervisorLoginResponse } from '../../shared/api/depot'
import { DEPOT_DEVICE_PATHS, RetireDeviceResponse } from '../../shared/api/depot-devices'
import { CreateEnrollmentCodeResponse } from '../../shared/api/device'
import {
  CourierRouteResponse,
  DEPOT_ROUTE_PATHS,
  ReassignRunResponse,
  type ReassignRunRequest,
} from '../../shared/api/depot-routes'
import { PROOF_PATHS, ProofsResponse } from '../../shared/api/proof'
import { ErrorBody } from '../../shared/errors'

/**
 * The dashboard's one way to the backend that served it (same origin, so the CSP's `connect-src 'self'` holds):
 * typed calls checked against the schemas in `shared/api`, and refusals as `DepotApiError` with the backend's
 * stable code, which the UI translates.
 */
export class DepotApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details: Record<string, unknown> = {},
  ) {
    super(message)
    this.name = 'DepotApiError'
  }
}

async function call<S extends z.ZodType>(
  method: string,
  path: string,
  schema: S,
  options: { token?: string | null; json?: unknown } = {},
): Promise<z.output<S>> {
  const headers: Record<string, string> = { accept: 'application/json' }
  if (options.token) headers.authorization = `Bearer ${options.token}`
  if (options.json !== undefined) headers['content-type'] = 'application/json'
  let response: Response
  try {
    response = await fetch(`${API_PREFIX}${path}`, {
      method,
      headers,
      body: options.json === undefined ? undefined : JSON.stringify(options.json),
      cache: 'no-store',
    })
  } catch (error) {
    throw new DepotApiError(0, 'network', error instanceof Error ? error.message : String(error))
  }
  const json: unknown = await response.json().catch(() => null)
  if (!response.ok) {
    const error = ErrorBody.safeParse((json as { error?: unknown } | null)?.error)
    throw error.success
      ? new DepotApiError(response.status, error.data.code, error.data.message, error.data.details)
      : new DepotApiError(response.status, `http.${response.status}`, `HTTP ${response.status}`)
  }
  const parsed = schema.safeParse(json)
  if (!parsed.success) throw new DepotApiError(response.status, 'answer.unexpected', parsed.error.message)
  return parsed.data
}

const withQuery = (path: string, params: Record<string, string | number | null | undefined>): string => {
  const query = new URLSearchParams()
  for (const [key, value] of Object.entries(params))
    if (value !== null && value !== undefined) query.set(key, String(value))
  const text = query.toString()
  return text ? `${path}?${text}` : path
}

export const logIn = (login: string, password: string) =>
  call('POST', '/depot/sessions', SupervisorLoginResponse, { json: { login, password } })

export const logOut = async (token: string): Promise<void> => {
  await call('DELETE', '/depot/sessions/current', LogoutResponse, { token })
}

export const fetchCouriers = (token: string, date: string | null, target: number | null) =>
  call('GET', withQuery(DASHBOARD_PATHS.couriers, { date, target }), CouriersDayResponse, { token })

export const fetchDevices = (token: string, date: string | null) =>
  call('GET', withQuery(DASHBOARD_PATHS.devices, { date }), DevicesStatusResponse, { token })

/** A courier's own target for a day; null clears it. */
export const setCourierTarget = (token: string, courierId: string, body: SetCourierTargetRequest) =>
  call('PUT', `${DASHBOARD_PATHS.targets}/${encodeURIComponent(courierId)}`, SetCourierTargetResponse, {
    token,
    json: body,
  })

/** A new single-use enrollment code for a device of the session's depot. */
export const issueEnrollmentCode = (token: string) =>
  call('POST', '/depot/enrollment-codes', CreateEnrollmentCodeResponse, { token })

/** Retires a device: its token is refused from now on; it stays listed with its history. */
export const retireDevice = (token: string, deviceId: string) =>
  call('POST', DEPOT_DEVICE_PATHS.retire(deviceId), RetireDeviceResponse, { token })

/** A courier's orders of the day in route order, with any collection in progress. */
export const fetchCourierRoute = (token: string, courierId: string, date: string | null) =>
  call('GET', withQuery(DEPOT_ROUTE_PATHS.route(courierId), { date }), CourierRouteResponse, { token })

/** Moves a run of orders from one courier to another, all or none. */
export const reassignRun = (token: string, body: ReassignRunRequest) =>
  call('POST', DEPOT_ROUTE_PATHS.reassign, ReassignRunResponse, { token, json: body })

export const fetchAttention = (token: string, date: string | null) =>
  call('GET', withQuery(DASHBOARD_PATHS.attention, { date }), AttentionQueueResponse, { token })

export const resolveAttention = (token: string, itemId: string, body: ResolveAttentionRequest) =>
  call('POST', ATTENTION_RESOLVE_PATH.replace(':itemId', encodeURIComponent(itemId)), ResolveAttentionResponse, {
    token,
    json: body,
  })

export const fetchCash = (token: string, date: string | null) =>
  call('GET', withQuery(DASHBOARD_PATHS.cash, { date }), CashDayResponse, { token })

export const recordCash = (token: string, courierId: string, body: RecordCashRequest) =>
  call('PUT', `${DASHBOARD_PATHS.cash}/${encodeURIComponent(courierId)}`, RecordCashResponse, { token, json: body })

export const fetchDayReport = (token: string, date: string) =>
  call('GET', DAY_CLOSE_PATHS.report.replace(':date', encodeURIComponent(date)), DayReportResponse, { token })

/** Closing a day again changes nothing and answers the report as it was closed. */
export const closeDay = (token: string, date: string, body: CloseDayRequest) =>
  call('POST', DAY_CLOSE_PATHS.close.replace(':date', encodeURIComponent(date)), CloseDayResponse, {
    token,
    json: body,
  })

export const fetchProofs = (token: string, date: string | null) =>
  call('GET', withQuery(PROOF_PATHS.proofs, { date }), ProofsResponse, { token })

export const fetchRefunds = (token: string, date: string | null) =>
  call('GET', withQuery('/depot/refunds', { date }), RefundsResponse, { token })

/** Approving a flag's refund: asking again is the same refund (its number comes from the flag). */
export const approveRefund = (token: string, body: ApproveRefundRequest) =>
  call('POST', '/depot/refunds', RefundView, { token, json: body })

export const retryRefund = (token: string, refundNo: string, note?: string) =>
  call('POST', `/depot/refunds/${encodeURIComponent(refundNo)}/retry`, RefundView, {
    token,
    json: note ? { note } : {},
  })

export const fetchClosure = (token: string) => call('GET', '/depot/closure', ClosureResponse, { token })

export const fetchMoney = (token: string, date: string | null) =>
  call('GET', withQuery('/depot/dashboard/money', { date }), MoneyDayResponse, { token })

export const fetchStatements = (token: string, date: string | null) =>
  call('GET', withQuery('/depot/statements', { date }), StatementsResponse, { token })

/** Importing the acquirer's statement file; the same file again changes nothing (`imported: false`). */
export const importStatement = (token: string, csv: string) =>
  call('POST', '/depot/statements', ImportStatementResponse, { token, json: { csv } })

/** The live stream's address; `live.ts` reads it with the token in a header. */
/** A stored evidence image (photo or signature), with the token in the header: shown through a blob URL. */
export async function fetchEvidenceImage(token: string, evidenceId: string): Promise<Blob> {
  let response: Response
  try {
    response = await fetch(`${API_PREFIX}${DEPOT_EVIDENCE_PATH}/${encodeURIComponent(evidenceId)}`, {
      headers: { authorization: `Bearer ${token}` },
      cache: 'no-store',
    })
  } catch (error) {
    throw new DepotApiError(0, 'network', error instanceof Error ? error.message : String(error))
  }
  if (!response.ok) {
    const json: unknown = await response.json().catch(() => null)
    const error = ErrorBody.safeParse((json as { error?: unknown } | null)?.error)
    throw error.success
      ? new DepotApiError(response.status, error.data.code, error.data.message, error.data.details)
      : new DepotApiError(response.status, `http.${response.status}`, `HTTP ${response.status}`)
  }
  return response.blob()
}

export const STREAM_URL = `${API_PREFIX}${DASHBOARD_PATHS.stream}`

/** What went wrong with a call, whatever was thrown. */
export function failureOf(reason: unknown): { status: number; code: string; message: string } {
  if (reason instanceof DepotApiError) return { status: reason.status, code: reason.code, message: reason.message }
  return { status: 0, code: 'other', message: reason instanceof Error ? reason.message : String(reason) }
}
