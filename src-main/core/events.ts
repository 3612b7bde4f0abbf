import type { Disposer } from '../../shared/ipc/bridge'
import { ipcEvents, type IpcEvent, type IpcEventPayload } from '../../shared/ipc/contract'

type AnyListener = (event: IpcEvent, payload: unknown) => void

/** The core's pushes to the renderer. Emit only after the change they describe has committed. */
export interface CoreEvents {
  emit<E extends IpcEvent>(event: E, payload: IpcEventPayload<E>): void
  on<E extends IpcEvent>(event: E, listener: (payload: IpcEventPayload<E>) => void): Disposer
  /** Every event, for hosts that forward them all (the Electron window, the browser host's stream). */
  onAny(listener: AnyListener): Disposer
}

export function createCoreEvents(): CoreEvents {
  const listeners = new Set<AnyListener>()
  const onAny = (listener: AnyListener): Disposer => {
    listeners.add(listener)
    return () => listeners.delete(listener)
  }
  return {
    emit(event, payload) {
      // A payload that breaks the contract is a bug in the core; fail where it happens, not in the renderer.
      const checked = ipcEvents[event].parse(payload)
      for (const listener of [...listeners]) listener(event, checked)
    },
    on(event, listener) {
      return onAny((name, payload) => {
        if (name === event) listener(payload as IpcEventPayload<typeof event>)
      })
    },
    onAny,
  }
}
