import { contextBridge, ipcRenderer } from 'electron'
import {
  buildPreloadApi,
  electronChannel,
  electronEventChannel,
  type IpcResult,
  type PreloadApi,
} from '../../shared/ipc/bridge'

// One function per channel and one subscriber per event; raw ipcRenderer never reaches the page.
const api = buildPreloadApi({
  invoke: (channel, request) => ipcRenderer.invoke(electronChannel(channel), request) as Promise<IpcResult<unknown>>,
  listen: (event, listener) => {
    const handler = (_event: Electron.IpcRendererEvent, payload: unknown): void => listener(payload)
    ipcRenderer.on(electronEventChannel(event), handler)
    return () => {
      ipcRenderer.removeListener(electronEventChannel(event), handler)
    }
  },
}) satisfies PreloadApi

contextBridge.exposeInMainWorld('tuotou', api)
