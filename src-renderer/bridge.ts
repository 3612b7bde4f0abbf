import type { ErrorBody } from '../shared/errors'
import {
  buildPreloadApi,
  eventSubscriberName,
  type Bridge,
  type BridgeTransport,
  type IpcResult,
  type PreloadApi,
} from '../shared/ipc/bridge'
import { ipcChannelNames, ipcEventNames } from '../shared/ipc/contract'

/** A call the core refused or failed; `code` is translated through `errors.<code>`. */
export class IpcError extends Error {
  readonly code: string
  readonly details: ErrorBody['details']

  constructor(body: ErrorBody) {
    super(body.message)
    this.name = 'IpcError'
    this.code = body.code
    this.details = body.details ?? {}
  }
}

const TOKEN_KEY = 'tuotou.hostToken'

/** The browser host's token: handed over once in the URL fragment, then kept for this tab only. */
function browserHostToken(): string {
  const match = /(?:^#|&)token=([\w-]+)/.exec(window.location.hash)
  if (match?.[1]) {
    sessionStorage.setItem(TOKEN_KEY, match[1])
    history.replaceState(null, '', window.location.pathname + window.location.search)
    return match[1]
  }
  return sessionStorage.getItem(TOKEN_KEY) ?? ''
}

/** IPC over the browser host: `POST /ipc/:channel` and one server-sent event stream. */
export function httpTransport(token: string, base = ''): BridgeTransport {
  let source: EventSource | null = null
  const stream = (): EventSource => {
    source ??= new EventSource(`${base}/events?token=${encodeURIComponent(token)}`)
    return source
  }
  return {
    async invoke(channel, request) {
      let res: Response
      try {
        res = await fetch(`${base}/ipc/${channel}`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'x-tuotou-token': token },
          body: JSON.stringify(request ?? {}),
        })
      } catch (error) {
        return {
          ok: false,
          error: { code: 'ipc.host_unreachable', message: String(error), details: {} },
        }
      }
      try {
        return (await res.json()) as IpcResult<unknown>
      } catch {
        return { ok: false, error: { code: 'ipc.bad_response', message: `HTTP ${res.status}`, details: {} } }
      }
    },
    listen(event, listener) {
      const handler = (message: MessageEvent<string>): void => listener(JSON.parse(message.data))
      stream().addEventListener(event, handler)
      return () => stream().removeEventListener(event, handler)
    },
  }
}

/** Turns the preload-shaped API (results as values) into the bridge the stores use (failures throw). */
export function unwrapApi(api: PreloadApi): Bridge {
  const bridge: Record<string, unknown> = {}
  for (const channel of ipcChannelNames) {
    const call = api[channel] as (request: unknown) => Promise<IpcResult<unknown>>
    bridge[channel] = async (request: unknown) => {
      const result = await call(request)
      if (result.ok) return result.value
      throw new IpcError(result.error)
    }
  }
  for (const event of ipcEventNames) {
    const name = eventSubscriberName(event)
    bridge[name] = api[name]
  }
  return bridge as Bridge
}

/** Which host the renderer runs in: Electron's preload, or the browser host over HTTP. */
export const hostKind: 'electron' | 'browser' = window.tuotou ? 'electron' : 'browser'

/** The one way the renderer reaches the device core. Stores call it; components do not. */
export const bridge: Bridge = unwrapApi(window.tuotou ?? buildPreloadApi(httpTransport(browserHostToken())))
