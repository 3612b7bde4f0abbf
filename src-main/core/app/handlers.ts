import { HealthResponse } from '../../../shared/api/health'
import type { BackendHealth } from '../../../shared/ipc/contract'
import type { CoreContext, HandlersFor } from '../context'

export type AppHandlers = HandlersFor<'getAppInfo' | 'checkBackend'>

export function appHandlers(ctx: CoreContext): AppHandlers {
  return {
    getAppInfo: () =>
      Promise.resolve({
        name: 'Tuotou',
        version: ctx.options.version,
        host: ctx.options.host,
        dataDir: ctx.options.dataDir,
        credentialStore: ctx.credentials.kind,
        kiosk: ctx.options.kiosk ?? false,
      }),
    checkBackend: async () => {
      const started = performance.now()
      const url = ctx.backend.baseUrl()
      let health: BackendHealth
      try {
        const answer = await ctx.backend.request({
          method: 'GET',
          path: '/api/v1/health',
          response: HealthResponse,
          timeoutMs: 3000,
        })
        health = {
          url,
          reachable: true,
          checkedAt: new Date().toISOString(),
          latencyMs: Math.round(performance.now() - started),
          version: answer.version,
          database: answer.database,
        }
      } catch (error) {
        health = {
          url,
          reachable: false,
          checkedAt: new Date().toISOString(),
          error: error instanceof Error ? error.message : String(error),
        }
      }
      ctx.events.emit('backendHealth', health)
      return health
    },
  }
}
