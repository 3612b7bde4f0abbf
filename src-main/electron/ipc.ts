import type { IpcMain, IpcMainInvokeEvent, WebContents } from 'electron'
import { type Disposer, electronChannel, electronEventChannel } from '../../shared/ipc/bridge'
import { ipcChannelNames } from '../../shared/ipc/contract'
import type { CoreEvents } from '../core/events'
import type { IpcDispatch } from '../core/ipc'

/**
 * Registers every channel of the contract on ipcMain. Each message goes through the core's dispatcher, which
 * validates it; a message from a frame that is not the app's own is refused before that.
 */
export function registerIpc(
  ipcMain: Pick<IpcMain, 'handle' | 'removeHandler'>,
  dispatch: IpcDispatch,
  isTrustedSender: (event: IpcMainInvokeEvent) => boolean,
): Disposer {
  for (const channel of ipcChannelNames) {
    ipcMain.handle(electronChannel(channel), (event, request: unknown) => {
      if (!isTrustedSender(event)) {
        return {
          ok: false,
          error: { code: 'ipc.untrusted_sender', message: 'message from a frame outside the app', details: {} },
        }
      }
      return dispatch(channel, request)
    })
  }
  return () => {
    for (const channel of ipcChannelNames) ipcMain.removeHandler(electronChannel(channel))
  }
}

/** Forwards every core event to the window; returns the disposer that stops it. */
export function forwardEvents(events: CoreEvents, target: () => WebContents | null): Disposer {
  return events.onAny((event, payload) => {
    const contents = target()
    if (contents && !contents.isDestroyed()) contents.send(electronEventChannel(event), payload)
  })
}
