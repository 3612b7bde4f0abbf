import { existsSync } from 'node:fs'
import { join } from 'node:path'
import fastifyStatic from '@fastify/static'
import type { FastifyInstance } from 'fastify'
import { DASHBOARD_CSP } from '../../shared/csp'
import { unavailable } from '../http/errors'

/**
 * `/depot/`: the supervisors' dashboard (the `depot` renderer entry, built by electron-vite into
 * `out/renderer`) and `/assets/`, the build's hashed bundles it loads as `../assets/…`. Nothing else in the
 * build is reachable from here.
 */
export async function registerDashboardPage(app: FastifyInstance, rendererDir: string): Promise<void> {
  app.get('/depot', (_request, reply) => reply.redirect('/depot/'))
  if (!existsSync(join(rendererDir, 'depot', 'index.html'))) {
    app.get('/depot/', () => {
      throw unavailable('dashboard.not_built', 'the dashboard is not built; run `npm run build:renderer`')
    })
    return
  }
  await app.register(async (scope) => {
    scope.addHook('onSend', async (request, reply, payload) => {
      void reply.header('content-security-policy', DASHBOARD_CSP.header)
      void reply.header('x-content-type-options', 'nosniff')
      void reply.header('referrer-policy', 'no-referrer')
      // Bundles are named by their content; the page itself must always be fetched fresh.
      void reply.header(
        'cache-control',
        request.url.startsWith('/assets/') ? 'public, max-age=31536000, immutable' : 'no-cache',
      )
      return payload
    })
    await scope.register(fastifyStatic, {
      root: join(rendererDir, 'depot'),
      prefix: '/depot/',
      index: ['index.html'],
      decorateReply: false,
      cacheControl: false,
    })
    await scope.register(fastifyStatic, {
      root: join(rendererDir, 'assets'),
      prefix: '/assets/',
      decorateReply: false,
      cacheControl: false,
    })
  })
}
