import { createHash } from 'node:crypto'
import type { FastifyBaseLogger } from 'fastify'
import { sql } from 'kysely'
import pg from 'pg'
import type { BackendDb, Trx } from '../db/connect'
import { traceStream } from './trace'

type Wake = () => void

/**
 * Wakes the device streams held by this instance when a message for their device was committed, wherever it
 * was written. A wake-up carries only IDs; the stream reads the messages from the database, so a lost or
 * doubled wake-up costs a query, never a message.
 */
export interface StreamHub {
  readonly kind: 'in-process' | 'postgres'
  /** Starts waking `wake` for one device's messages; the returned function stops it. */
  subscribe(depotId: string, deviceId: string, wake: Wake): Promise<() => void>
  /** Inside the transaction that appended a message: PostgreSQL sends NOTIFY, delivered only at commit. */
  announce(trx: Trx, depotId: string, deviceId: string): Promise<void>
  /** After that transaction committed: the in-process hub wakes its subscribers here. */
  committed(depotId: string, deviceId: string): void
  /**
   * After a commit and outside any transaction: wakes `key`'s subscribers on every instance, for listeners that
   * re-read on waking and need no more than one wake a second (the depot dashboards). On PostgreSQL the NOTIFY
   * goes on a connection of the hub's own (not the LISTEN one), at most once a second per key from each instance,
   * so no write transaction queues on PostgreSQL's notification lock for it.
   */
  signal(depotId: string, key: string): void
  close(): Promise<void>
}

class Subscribers {
  private readonly byDevice = new Map<string, Set<Wake>>()

  add(deviceId: string, wake: Wake): () => boolean {
    let set = this.byDevice.get(deviceId)
    if (!set) this.byDevice.set(deviceId, (set = new Set()))
    set.add(wake)
    return () => {
      set.delete(wake)
      if (set.size === 0) this.byDevice.delete(deviceId)
      return set.size === 0
    }
  }

  wake(deviceId: string): void {
    for (const wake of this.byDevice.get(deviceId) ?? []) wake()
  }

  wakeAll(): void {
    for (const set of this.byDevice.values()) for (const wake of set) wake()
  }
}

/** How often at most `signal` sends one key from one instance. */
export const SIGNAL_WINDOW_MS = 1000

/**
 * At most one `send` per key per window: the first signal goes at once, and any that follow inside the window go
 * as one when it ends, so the last change is never left unannounced.
 */
export function coalesceSignals(
  send: (depotId: string, key: string) => void,
  windowMs = SIGNAL_WINDOW_MS,
): (depotId: string, key: string) => void {
  const open = new Map<string, { again: boolean }>()
  const fire = (depotId: string, key: string): void => {
    const window = { again: false }
    open.set(key, window)
    send(depotId, key)
    setTimeout(() => {
      open.delete(key)
      if (window.again) fire(depotId, key)
    }, windowMs).unref()
  }
  return (depotId, key) => {
    const window = open.get(key)
    if (window) window.again = true
    else fire(depotId, key)
  }
}

/** One process, one database file (SQLite): writer and streams share memory. */
export function inProcessHub(): StreamHub {
  const subscribers = new Subscribers()
  return {
    kind: 'in-process',
    subscribe(_depotId, deviceId, wake) {
      const remove = subscribers.add(deviceId, wake)
      return Promise.resolve(() => void remove())
    },
    announce: () => Promise.resolve(),
    committed: (_depotId, deviceId) => {
      traceStream('heard', deviceId)
      subscribers.wake(deviceId)
    },
    signal: (_depotId, key) => subscribers.wake(key),
    close: () => Promise.resolve(),
  }
}

/** The NOTIFY channel of one depot: one per depot, scoped by schema so test suites never hear each other. */
export function depotChannel(schema: string | null, depotId: string): string {
  const name = `tuotou_${schema ?? 'public'}_${depotId}`
  return name.length <= 63 ? name : `tuotou_${createHash('sha1').update(name).digest('hex')}`
}

/**
 * PostgreSQL LISTEN/NOTIFY: any instance may take the acquirer's webhook or a device's push, and the instance
 * holding that device's stream hears about it. One dedicated connection listens on the channels of the depots
 * whose devices are connected here; if it drops, it reconnects and wakes every stream to catch up.
 */
export function postgresHub(database: BackendDb, log: FastifyBaseLogger): StreamHub {
  const settings = database.postgres
  if (!settings) throw new Error('postgresHub needs a PostgreSQL database')
  const subscribers = new Subscribers()
  // Per channel: how many streams here need it, and the LISTEN that makes it heard. Every subscriber waits for
  // that LISTEN, not only the first: a stream that read the database before the LISTEN took effect would not
  // be woken by a message committed in between.
  const listening = new Map<string, { count: number; ready: Promise<unknown> }>()
  let client: pg.Client | null = null
  let connecting: Promise<pg.Client> | null = null
  let closed = false

  const quote = (channel: string): string => `"${channel.replace(/"/g, '""')}"`

  const connect = (): Promise<pg.Client> => {
    connecting ??= (async () => {
      const next = new pg.Client(settings.config)
      next.on('notification', (message) => {
        if (!message.payload) return
        traceStream('heard', message.payload)
        subscribers.wake(message.payload)
      })
      const lost = (error?: Error): void => {
        if (client !== next) return
        client = null
        connecting = null
        if (closed) return
        log.warn({ err: error }, 'stream hub lost its LISTEN connection; reconnecting')
        setTimeout(() => {
          if (closed) return
          connect()
            .then(() => subscribers.wakeAll())
            .catch((reason: unknown) => log.error({ err: reason }, 'stream hub could not reconnect'))
        }, 500).unref()
      }
      next.on('error', lost)
      next.on('end', () => lost())
      await next.connect()
      for (const channel of listening.keys()) await next.query(`LISTEN ${quote(channel)}`)
      client = next
      return next
    })()
    connecting.catch(() => (connecting = null))
    return connecting
  }

  // One query at a time on the listening connection (pg queues overlapping ones, and pg 9 will refuse them).
  let queries: Promise<unknown> = Promise.resolve()
  const listenerQuery = (text: string, values?: unknown[]): Promise<unknown> => {
    const next = queries.then(async () => (client ?? (await connect())).query(text, values))
    queries = next.catch(() => undefined)
    return next
  }

  // The signals' NOTIFYs go on a connection of their own. PostgreSQL delivers notifications to a listening
  // connection only while it is idle, and a NOTIFY waits on the cluster's notification lock behind every notifying
  // commit: sent on the LISTEN connection, each one held back every wake-up meant for this instance's streams.
  let notifier: Promise<pg.Client> | null = null
  let notifies: Promise<unknown> = Promise.resolve()
  const notifierClient = (): Promise<pg.Client> => {
    notifier ??= (async () => {
      const next = new pg.Client(settings.config)
      const lost = (): void => {
        if (notifier === made) notifier = null
      }
      next.on('error', lost)
      next.on('end', lost)
      await next.connect()
      return next
    })()
    const made = notifier
    made.catch(() => {
      if (notifier === made) notifier = null
    })
    return made
  }
  const notifierQuery = (text: string, values: unknown[]): Promise<unknown> => {
    const next = notifies.then(async () => (await notifierClient()).query(text, values))
    notifies = next.catch(() => undefined)
    return next
  }

  return {
    kind: 'postgres',
    async subscribe(depotId, deviceId, wake) {
      const channel = depotChannel(settings.schema, depotId)
      const remove = subscribers.add(deviceId, wake)
      let entry = listening.get(channel)
      if (!entry) {
        const ready = listenerQuery(`LISTEN ${quote(channel)}`)
        entry = { count: 0, ready }
        listening.set(channel, entry)
        // A failed LISTEN is not kept: the next subscriber tries again.
        ready.catch(() => {
          if (listening.get(channel) === entry) listening.delete(channel)
        })
      }
      entry.count++
      try {
        await entry.ready
      } catch (error) {
        entry.count--
        remove()
        throw error
      }
      const held = entry
      return () => {
        remove()
        if (--held.count > 0 || listening.get(channel) !== held) return
        listening.delete(channel)
        if (client) listenerQuery(`UNLISTEN ${quote(channel)}`).catch(() => undefined)
      }
    },
    async announce(trx, depotId, deviceId) {
      await sql`select pg_notify(${depotChannel(settings.schema, depotId)}, ${deviceId})`.execute(trx)
    },
    committed: () => undefined,
    signal: coalesceSignals((depotId, key) => {
      if (closed) return
      notifierQuery('select pg_notify($1, $2)', [depotChannel(settings.schema, depotId), key]).catch(
        (reason: unknown) => log.warn({ err: reason, key }, 'stream hub could not signal'),
      )
    }),
    async close() {
      closed = true
      const current = client
      client = null
      const sender = notifier
      notifier = null
      await current?.end().catch(() => undefined)
      await (await sender?.catch(() => null))?.end().catch(() => undefined)
    },
  }
}
