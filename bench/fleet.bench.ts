/**
 * Fleet scale (DESIGN sections 7 and 8, issue 16): ten thousand device streams on one backend instance (on
 * PostgreSQL, then on SQLite) with a reconnect storm, two instances on one PostgreSQL, and an accelerated soak.
 * Sizes come from the environment, so development runs can be small:
 *   TUOTOU_FLEET_STREAMS (10000), TUOTOU_FLEET_PAYMENTS (1000), TUOTOU_FLEET_DEVICES (200, the two instances'),
 *   TUOTOU_FLEET_SOAK_MINUTES (10),
 *   TUOTOU_FLEET_PARTS (streams-postgres,streams-sqlite,instances,soak: which parts run).
 * PostgreSQL is TUOTOU_TEST_PG_URL when set, else an embedded server started here (fsync on).
 */
import type { Bench } from './figures'
import { benchPostgres, type BenchPostgres } from './fleet/postgres-server'
import { benchInstances } from './fleet/instances'
import { benchSoak } from './fleet/soak'
import { benchStreams } from './fleet/streams'
import { openFileLimit, raiseOpenFileLimit } from './fleet/system'

const number = (name: string, fallback: number): number => {
  const value = Number(process.env[name] ?? fallback)
  if (!Number.isFinite(value) || value <= 0) throw new Error(`${name} must be a positive number`)
  return value
}

const bench: Bench = async (context) => {
  const streams = number('TUOTOU_FLEET_STREAMS', 10_000)
  const payments = Math.min(streams, number('TUOTOU_FLEET_PAYMENTS', 1_000))
  const parts = (process.env.TUOTOU_FLEET_PARTS ?? 'streams-postgres,streams-sqlite,instances,soak').split(',')
  // Each stream is a socket at both ends: the backend and this process each need a descriptor per stream.
  context.log(raiseOpenFileLimit(Math.max(65_536, streams * 2 + 4_096)))
  const limit = openFileLimit()
  if (limit.soft < streams + 1_024) context.log(`${limit.soft} open files may not be enough for ${streams} streams`)

  let postgres: BenchPostgres | null = null
  const needsPostgres = parts.some((part) => part === 'streams-postgres' || part === 'instances')
  if (needsPostgres) {
    postgres = await benchPostgres()
    context.log(`PostgreSQL: ${postgres.label}`)
  }
  try {
    for (const part of parts) {
      if (part === 'streams-postgres' || part === 'streams-sqlite') {
        await benchStreams(context, {
          postgres: part === 'streams-postgres' ? postgres : null,
          streams,
          payments,
          openWindow: 256,
          paymentRate: 20,
        })
      }
      if (part === 'instances') {
        await benchInstances(context, {
          postgres: postgres!,
          devices: number('TUOTOU_FLEET_DEVICES', 200),
          stops: 150,
          warmShare: 0.1,
          firstShare: 0.65,
          pacedShare: 0.2,
        })
      }
      if (part === 'soak') {
        await benchSoak(context, { devices: 20, stops: 150, minutes: number('TUOTOU_FLEET_SOAK_MINUTES', 10) })
      }
    }
  } finally {
    await postgres?.stop()
  }
}

export default bench
