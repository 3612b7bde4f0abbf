import { timingSafeEqual } from 'node:crypto'
import type { FastifyRequest } from 'fastify'
import { unauthorized, unavailable } from '../http/errors'
import type { RouteTable } from '../http/routes'
import type { SandboxStore } from './store'

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms))

/**
 * The door of the sandbox's merchant API: the API key (compared in constant time), then the behaviour a test
 * asked for: an outage (503 `acquirer.outage`) or, for queries, a slow answer.
 */
export function merchantGuard(
  store: SandboxStore,
): (request: FastifyRequest, kind?: 'query' | 'call') => Promise<void> {
  const expected = Buffer.from(store.identity().apiKey)
  return async (request, kind = 'call') => {
    const given = Buffer.from((request.headers.authorization ?? '').replace(/^Bearer /i, ''))
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
      throw unauthorized('acquirer.unauthorized', 'a valid merchant API key is required')
    }
    const behaviour = store.behaviour()
    if (behaviour.outage) throw unavailable('acquirer.outage', 'the acquirer is down (sandbox outage)')
    if (kind === 'query' && behaviour.queryDelayMs > 0) await sleep(behaviour.queryDelayMs)
  }
}

/**
 * The route table with the merchant API's authenticator: the key is checked from the headers, before anything
 * else about the request; handlers then call `merchantGuard` for the behaviour a test asked for.
 */
export function withMerchantAuth(table: RouteTable, store: SandboxStore): RouteTable {
  const expected = Buffer.from(store.identity().apiKey)
  return table.with({
    acquirer_merchant: {
      reads: 'headers',
      authenticate(request) {
        const given = Buffer.from((request.headers.authorization ?? '').replace(/^Bearer /i, ''))
        if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
          throw unauthorized('acquirer.unauthorized', 'a valid merchant API key is required')
        }
        return null
      },
    },
  })
}
