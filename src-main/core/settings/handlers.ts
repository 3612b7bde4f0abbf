import type { CoreContext, HandlersFor } from '../context'
import { readSettings, writeSettings } from './store'

export type SettingsHandlers = HandlersFor<'getSettings' | 'updateSettings'>

export function settingsHandlers(ctx: CoreContext): SettingsHandlers {
  return {
    getSettings: () => Promise.resolve(ctx.settings()),
    updateSettings: (patch) => {
      writeSettings(ctx.db, patch)
      const settings = readSettings(ctx.db, ctx.defaultSettings)
      ctx.cacheSettings(settings)
      ctx.events.emit('settingsChanged', settings)
      return Promise.resolve(settings)
    },
  }
}
