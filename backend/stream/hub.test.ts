import type { FastifyBaseLogger } from 'fastify'
import { sql } from 'kysely'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { openBackendDb, type BackendDb } from '../db/connect'
import { freshSchemaUrl, dropSchema, postgresTarget } from '../testing/postgres'
import { coalesceSignals, depotChannel, postgresHub } from './hub'

const postgres = await postgresTarget()
const silent = { warn: () => undefined, error: () => undefined } as unknown as FastifyBaseLogger

describe.skipIf(postgres.url === null)('stream hub on postgres', () => {
  let database: BackendDb
  let schema: string
  let notifier: BackendDb

  beforeAll(async () => {
    const fresh = freshSchemaUrl(postgres.url!)
    schema = fresh.schema
    database = openBackendDb(fresh.url)
    notifier = openBackendDb(fresh.url)
    await sql`select 1`.execute(notifier.db)
  })
  afterAll(async () => {
    await notifier?.close()
    await database?.close()
    if (schema) await dropSchema(postgres.url!, schema)
  })

  const notify = (depotId: string, deviceId: string) =>
    sql`select pg_notify(${depotChannel(schema, depotId)}, ${deviceId})`.execute(notifier.db)

  it('wakes a stream that subscribed while its depot’s LISTEN was still on its way', async () => {
    const hub = postgresHub(database, silent)
    try {
      // Connected already, so the LISTEN for a new depot goes out on a live connection.
      const other = await hub.subscribe('dep_other', 'dev_other', () => undefined)
      const woken = new Set<string>()
      const depots = Array.from({ length: 20 }, (_, i) => `dep_race${i}`)
      const done = await Promise.all(
        depots.map(async (depotId) => {
          // The depot's first stream starts its LISTEN; a second subscribes meanwhile, and once subscribe
          // answers, a message committed now must be heard (the stream has read the database already).
          const first = hub.subscribe(depotId, `${depotId}_first`, () => undefined)
          const second = await hub.subscribe(depotId, `${depotId}_second`, () => woken.add(depotId))
          await notify(depotId, `${depotId}_second`)
          return [await first, second]
        }),
      )
      await expect.poll(() => woken.size).toBe(depots.length)
      for (const unsubscribe of [other, ...done.flat()]) unsubscribe()
    } finally {
      await hub.close()
    }
  })

  it('stops listening when a depot’s last stream goes, and listens again for the next one', async () => {
    const hub = postgresHub(database, silent)
    try {
      const woken: string[] = []
      const a = await hub.subscribe('dep_again', 'dev_a', () => woken.push('a'))
      a()
      const b = await hub.subscribe('dep_again', 'dev_b', () => woken.push('b'))
      await notify('dep_again', 'dev_a')
      await notify('dep_again', 'dev_b')
      await expect.poll(() => woken).toEqual(['b'])
      b()
    } finally {
      await hub.close()
    }
  })
})

describe('coalesced signals', () => {
  it('sends the first at once, a burst inside the window as one at its end, and never drops the last', async () => {
    const sent: Array<[string, number]> = []
    const started = Date.now()
    const signal = coalesceSignals((_depotId, key) => sent.push([key, Date.now() - started]), 100)
    signal('dep_a', 'dashboard:dep_a')
    expect(sent.map(([key]) => key)).toEqual(['dashboard:dep_a'])
    for (let i = 0; i < 50; i++) signal('dep_a', 'dashboard:dep_a')
    // Another key has its own window.
    signal('dep_b', 'dashboard:dep_b')
    expect(sent.map(([key]) => key)).toEqual(['dashboard:dep_a', 'dashboard:dep_b'])
    await expect.poll(() => sent.filter(([key]) => key === 'dashboard:dep_a').length).toBe(2)
    const [, trailing] = sent.filter(([key]) => key === 'dashboard:dep_a')[1]!
    expect(trailing).toBeGreaterThanOrEqual(95)
    // Quiet since: nothing more goes, and the next signal after the window goes at once again.
    await new Promise((resolve) => setTimeout(resolve, 250))
    expect(sent.filter(([key]) => key === 'dashboard:dep_a')).toHaveLength(2)
    signal('dep_a', 'dashboard:dep_a')
    expect(sent.filter(([key]) => key === 'dashboard:dep_a')).toHaveLength(3)
  })
})

describe.skipIf(postgres.url === null)('signals across instances on postgres', () => {
  let schema: string
  let a: BackendDb
  let b: BackendDb

  beforeAll(async () => {
    const fresh = freshSchemaUrl(postgres.url!)
    schema = fresh.schema
    a = openBackendDb(fresh.url)
    b = openBackendDb(fresh.url)
    await sql`select 1`.execute(a.db)
  })
  afterAll(async () => {
    await a?.close()
    await b?.close()
    if (schema) await dropSchema(postgres.url!, schema)
  })

  it('a signal on one instance wakes the key on another, once a second at most, outside any transaction', async () => {
    const sender = postgresHub(a, silent)
    const listener = postgresHub(b, silent)
    try {
      let woken = 0
      const unsubscribe = await listener.subscribe('dep_sig', 'dashboard:dep_sig', () => woken++)
      for (let i = 0; i < 100; i++) sender.signal('dep_sig', 'dashboard:dep_sig')
      await expect.poll(() => woken).toBe(1)
      // The hundred became one at once and one at the window's end.
      await expect.poll(() => woken, { timeout: 3000 }).toBe(2)
      await new Promise((resolve) => setTimeout(resolve, 1200))
      expect(woken).toBe(2)
      unsubscribe()
    } finally {
      await sender.close()
      await listener.close()
    }
  })
})
