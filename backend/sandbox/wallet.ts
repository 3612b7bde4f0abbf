import { existsSync } from 'node:fs'
import { join } from 'node:path'
import fastifyStatic from '@fastify/static'
import type { FastifyInstance } from 'fastify'
import { SCANNING_PAGE_CSP } from '../../shared/csp'
import { unavailable } from '../http/errors'

/**
 * `/sandbox/wallet/`: the customer's wallet page (the `wallet` renderer entry, built by electron-vite into
 * `out/renderer`), with its assets, zxing's .wasm included, served from here and nowhere else.
 */
export async function registerWalletPage(app: FastifyInstance, rendererDir: string): Promise<void> {
  app.get('/sandbox/wallet', (_request, reply) => reply.redirect('/sandbox/wallet/'))
  if (!existsSync(join(rendererDir, 'wallet', 'index.html'))) {
    app.get('/sandbox/wallet/', () => {
      throw unavailable('wallet.not_built', 'the wallet page is not built; run `npm run build:renderer`')
    })
    return
  }
  await app.register(async (scope) => {
    scope.addHook('onSend', async (_request, reply, payload) => {
      void reply.header('content-security-policy', SCANNING_PAGE_CSP.header)
      void reply.header('x-content-type-options', 'nosniff')
      return payload
    })
    await scope.register(fastifyStatic, {
      root: rendererDir,
      prefix: '/sandbox/',
      index: ['index.html'],
      decorateReply: false,
      allowedPath: (path) => path.startsWith('/wallet/') || path.startsWith('/assets/'),
    })
  })
}
