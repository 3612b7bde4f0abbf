import type { Kysely } from 'kysely'
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
  DashboardChanged,
  DevicesStatusResponse,
  RecordCashResponse,
  type RecordCashRequest,
} from '../../shared/api/dashboard'
import { SupervisorLoginResponse } from '../../shared/api/depot'
import { DEPOT_DEVICE_PATHS, RetireDeviceResponse } from '../../shared/api/depot-devices'
import { CreateEnrollmentCodeResponse } from '../../shared/api/device'
import { createSseParser } from '../../shared/sse'
import type { BackendSchema } from '../db/schema'
import { BackendApi } from './api'
import { createSupervisorLogin } from './fixtures'

/** A supervisor of a depot, logged in over HTTP, with a client for the dashboard's endpoints. */
export interface SupervisorSessionFixture {
  supervisorId: string
  login: string
  password: string
  token: string
  dashboard: DashboardClient
}

/** Creates a supervisor for a depot (written into the database) and logs them in over HTTP. */
export async function supervisorSession(
  server: { url: string; db: Kysely<BackendSchema> },
  depotId: string,
): Promise<SupervisorSessionFixture> {
  const login = await createSupervisorLogin(server.db, depotId)
  const api = new BackendApi(server.url)
  const session = await api.call('POST', `${API_PREFIX}/depot/sessions`, SupervisorLoginResponse, {
    json: { login: login.login, password: login.password },
  })
  return {
    ...login,
    token: session.supervisorToken,
    dashboard: new DashboardClient(server.url, session.supervisorToken),
  }
}

const query = (params: Record<string, string | number | undefined>): string => {
  const entries = Object.entries(params).filter((entry): entry is [string, string | number] => entry[1] !== undefined)
  return entries.length === 0
    ? ''
    : `?${new URLSearchParams(entries.map(([k, v]): [string, string] => [k, String(v)])).toString()}`
}

/** The dashboard's endpoints with one supervisor token; every answer is checked against its shared schema. */
export class DashboardClient {
  readonly api: BackendApi

  constructor(
    readonly baseUrl: string,
    readonly token: string,
  ) {
    this.api = new BackendApi(baseUrl)
  }

  couriers(params: { date?: string; target?: number } = {}) {
    return this.api.call('GET', `${API_PREFIX}${DASHBOARD_PATHS.couriers}${query(params)}`, CouriersDayResponse, {
      token: this.token,
    })
  }

  devices(params: { date?: string } = {}) {
    return this.api.call('GET', `${API_PREFIX}${DASHBOARD_PATHS.devices}${query(params)}`, DevicesStatusResponse, {
      token: this.token,
    })
  }

  attention(params: { date?: string } = {}) {
    return this.api.call('GET', `${API_PREFIX}${DASHBOARD_PATHS.attention}${query(params)}`, AttentionQueueResponse, {
      token: this.token,
    })
  }

  /** Closes a work-queue item (`POST /depot/attention/:itemId/resolve`). */
  resolve(itemId: string, body: ResolveAttentionRequest) {
    const path = ATTENTION_RESOLVE_PATH.replace(':itemId', encodeURIComponent(itemId))
    return this.api.call('POST', `${API_PREFIX}${path}`, ResolveAttentionResponse, { token: this.token, json: body })
  }

  cash(params: { date?: string } = {}) {
    return this.api.call('GET', `${API_PREFIX}${DASHBOARD_PATHS.cash}${query(params)}`, CashDayResponse, {
      token: this.token,
    })
  }

  /** `POST /depot/devices/:deviceId/retire`. */
  retire(deviceId: string) {
    return this.api.call('POST', `${API_PREFIX}${DEPOT_DEVICE_PATHS.retire(deviceId)}`, RetireDeviceResponse, {
      token: this.token,
    })
  }

  /** `POST /depot/enrollment-codes`. */
  enrollmentCode() {
    return this.api.call('POST', `${API_PREFIX}/depot/enrollment-codes`, CreateEnrollmentCodeResponse, {
      token: this.token,
    })
  }

  recordCash(courierId: string, body: RecordCashRequest) {
    return this.api.call('PUT', `${API_PREFIX}${DASHBOARD_PATHS.cash}/${courierId}`, RecordCashResponse, {
      token: this.token,
      json: body,
    })
  }
}

/** A dashboard stream being read: the `changed` messages so far, and a way to wait for the next. */
export interface DashboardStreamReader {
  status: number
  messages: DashboardChanged[]
  /** Resolves once more than `count` messages arrived, or rejects after `timeoutMs`. */
  waitForMore(count: number, timeoutMs?: number): Promise<DashboardChanged[]>
  close(): void
}

/** Opens `GET /api/v1/depot/dashboard/stream` with a supervisor token. */
export async function openDashboardStream(baseUrl: string, token: string | undefined): Promise<DashboardStreamReader> {
  const controller = new AbortController()
  const response = await fetch(`${baseUrl}${API_PREFIX}${DASHBOARD_PATHS.stream}`, {
    headers: { accept: 'text/event-stream', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    signal: controller.signal,
  })
  const messages: DashboardChanged[] = []
  const waiters: { count: number; resolve: () => void }[] = []
  const reader: DashboardStreamReader = {
    status: response.status,
    messages,
    waitForMore(count, timeoutMs = 5_000) {
      if (messages.length > count) return Promise.resolve([...messages])
      return new Promise((resolve, reject) => {
        const waiter = { count, resolve: () => resolve([...messages]) }
        waiters.push(waiter)
        setTimeout(() => {
          const at = waiters.indexOf(waiter)
          if (at === -1) return
          waiters.splice(at, 1)
          reject(new Error(`no dashboard message after ${count} in ${timeoutMs} ms`))
        }, timeoutMs).unref()
      })
    },
    close: () => controller.abort(),
  }
  if (!response.ok || !response.body) return reader
  const decoder = new TextDecoder()
  const parser = createSseParser()
  const pump = async (): Promise<void> => {
    for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
      for (const sse of parser.push(decoder.decode(chunk, { stream: true }))) {
        if (sse.event !== 'changed') continue
        messages.push(DashboardChanged.parse(JSON.parse(sse.data)))
        for (const waiter of [...waiters]) {
          if (messages.length > waiter.count) {
            waiters.splice(waiters.indexOf(waiter), 1)
            waiter.resolve()
          }
        }
      }
    }
  }
  pump().catch(() => undefined)
  return reader
}
