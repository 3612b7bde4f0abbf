import { z } from 'zod'

/**
 * The IPC contract between the terminal's renderer and the device core: the one source of truth for the
 * preload, the Electron main registration, the browser host and the renderer bridge. A channel that is
 * not in `ipcChannels` does not exist anywhere.
 */

const Empty = z.object({}).strict()

export const Locale = z.enum(['zh-CN', 'en'])
export type Locale = z.infer<typeof Locale>

export const Settings = z.object({
  /** `system` follows the OS (Electron) or browser language. */
  locale: z.union([Locale, z.literal('system')]),
  backendUrl: z.url({ protocol: /^https?$/ }),
  /** `KeyboardEvent.code` of the key that opens the camera, so it does not depend on keyboard layout. */
  cameraTriggerKey: z.string().regex(/^[A-Za-z0-9]{1,20}$/),
})
export type Settings = z.infer<typeof Settings>

export const SettingsPatch = Settings.partial().strict()
export type SettingsPatch = z.infer<typeof SettingsPatch>

export const AppInfo = z.object({
  name: z.literal('Tuotou'),
  version: z.string(),
  host: z.enum(['electron', 'browser']),
  /** Where the device keeps its SQLite file and credentials. */
  dataDir: z.string(),
  /** `file` means OS-level encryption (safeStorage) is not available and a 0600 file is used instead. */
  credentialStore: z.enum(['safeStorage', 'file']),
  kiosk: z.boolean(),
})
export type AppInfo = z.infer<typeof AppInfo>

export const BackendHealth = z.object({
  url: z.string(),
  reachable: z.boolean(),
  checkedAt: z.iso.datetime(),
  latencyMs: z.number().nonnegative().optional(),
  version: z.string().optional(),
  database: z.string().optional(),
  error: z.string().optional(),
})
export type BackendHealth = z.infer<typeof BackendHealth>

interface ChannelSpec {
  request: z.ZodType
  response: z.ZodType
}

const channel = <Req extends z.ZodType, Res extends z.ZodType>(request: Req, response: Res) => ({ request, response })

/** Request/response channels: the renderer calls, the device core answers. */
export const ipcChannels = {
  getAppInfo: channel(Empty, AppInfo),
  getSettings: channel(Empty, Settings),
  updateSettings: channel(SettingsPatch, Settings),
  checkBackend: channel(Empty, BackendHealth),
} satisfies Record<string, ChannelSpec>

/** Events the device core pushes to the renderer. */
export const ipcEvents = {
  settingsChanged: Settings,
  backendHealth: BackendHealth,
} satisfies Record<string, z.ZodType>

export type IpcChannel = keyof typeof ipcChannels
export type IpcEvent = keyof typeof ipcEvents
export type IpcRequest<C extends IpcChannel> = z.input<(typeof ipcChannels)[C]['request']>
export type IpcResponse<C extends IpcChannel> = z.output<(typeof ipcChannels)[C]['response']>
export type IpcEventPayload<E extends IpcEvent> = z.output<(typeof ipcEvents)[E]>

export const ipcChannelNames = Object.keys(ipcChannels) as IpcChannel[]
export const ipcEventNames = Object.keys(ipcEvents) as IpcEvent[]

export function isIpcChannel(name: string): name is IpcChannel {
  return Object.hasOwn(ipcChannels, name)
}

export function isIpcEvent(name: string): name is IpcEvent {
  return Object.hasOwn(ipcEvents, name)
}
