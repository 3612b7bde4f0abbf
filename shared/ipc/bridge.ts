import type { ErrorBody } from '../errors'
import {
  ipcChannelNames,
  ipcEventNames,
  type IpcChannel,
  type IpcEvent,
  type IpcEventPayload,
  type IpcRequest,
  type IpcResponse,
} from './contract'

/** What crosses the wire for every call: errors are values, so their codes survive Electron's IPC. */
export type IpcResult<T> = { ok: true; value: T } | { ok: false; error: ErrorBody }

export type Disposer = () => void

/** `settingsChanged` → `onSettingsChanged` */
export type EventSubscriberName<E extends string> = `on${Capitalize<E>}`

export type ChannelFunctions<Wrap extends 'result' | 'value'> = {
  [C in IpcChannel]: (
    request: IpcRequest<C>,
  ) => Promise<Wrap extends 'result' ? IpcResult<IpcResponse<C>> : IpcResponse<C>>
}

export type EventSubscribers = {
  [E in IpcEvent as EventSubscriberName<E>]: (listener: (payload: IpcEventPayload<E>) => void) => Disposer
}

/** The preload's API: one function per channel and one subscriber per event, nothing else. */
export type PreloadApi = ChannelFunctions<'result'> & EventSubscribers

/** The renderer's bridge: like the preload's, but a failed call throws an `IpcError`. */
export type Bridge = ChannelFunctions<'value'> & EventSubscribers

export interface BridgeTransport {
  invoke(channel: IpcChannel, request: unknown): Promise<IpcResult<unknown>>
  listen(event: IpcEvent, listener: (payload: unknown) => void): Disposer
}

export function eventSubscriberName<E extends IpcEvent>(event: E): EventSubscriberName<E> {
  return `on${event.charAt(0).toUpperCase()}${event.slice(1)}` as EventSubscriberName<E>
}

/**
 * Builds one function per channel and one subscriber per event over a transport. The preload builds it over
 * ipcRenderer; the browser build builds it over HTTP and server-sent events.
 */
export function buildPreloadApi(transport: BridgeTransport): PreloadApi {
  const api: Record<string, unknown> = {}
  for (const channel of ipcChannelNames) {
    api[channel] = (request: unknown) => transport.invoke(channel, request)
  }
  for (const event of ipcEventNames) {
    api[eventSubscriberName(event)] = (listener: (payload: unknown) => void) => transport.listen(event, listener)
  }
  return api as PreloadApi
}

/** The Electron IPC channel that carries a contract channel; the preload and main both use it. */
export const electronChannel = (channel: IpcChannel): string => `tuotou:${channel}`
/** The Electron IPC channel that carries a pushed event. */
export const electronEventChannel = (event: IpcEvent): string => `tuotou-event:${event}`
