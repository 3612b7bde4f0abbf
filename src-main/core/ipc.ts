import { describeIssues, toErrorBody } from '../../shared/errors'
import type { IpcResult } from '../../shared/ipc/bridge'
import { ipcChannels, isIpcChannel } from '../../shared/ipc/contract'
import type { CoreHandlers } from './context'
import { storageFailure } from './db'

export type IpcDispatch = (channel: string, request: unknown) => Promise<IpcResult<unknown>>

/**
 * The one place a message from the renderer enters the core, whichever host carried it. An unknown channel or
 * a request that fails its schema is answered with an error and never reaches a handler; a handler's answer is
 * checked against its response schema before it leaves.
 */
export function createIpcDispatcher(handlers: CoreHandlers): IpcDispatch {
  return async (channel, request) => {
    if (!isIpcChannel(channel)) {
      return {
        ok: false,
        error: { code: 'ipc.unknown_channel', message: `no IPC channel named "${channel}"`, details: { channel } },
      }
    }
    const spec = ipcChannels[channel]
    const parsed = spec.request.safeParse(request)
    if (!parsed.success) {
      return {
        ok: false,
        error: {
          code: 'ipc.bad_request',
          message: `${channel}: ${describeIssues(parsed.error)}`,
          details: { channel },
        },
      }
    }
    try {
      const handler = handlers[channel] as (request: unknown) => Promise<unknown>
      const value = await handler(parsed.data)
      const checked = spec.response.safeParse(value)
      if (!checked.success) {
        return {
          ok: false,
          error: {
            code: 'ipc.bad_response',
            message: `${channel} answered outside its contract: ${describeIssues(checked.error)}`,
            details: { channel },
          },
        }
      }
      return { ok: true, value: checked.data }
    } catch (error) {
      // A full disk or a folder turned read-only says so in the courier's words, never as a raw SQLite message.
      return { ok: false, error: toErrorBody(storageFailure(error) ?? error) }
    }
  }
}
