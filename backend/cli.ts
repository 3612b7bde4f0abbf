import { readFileSync } from 'node:fs'
import { basename, dirname, join } from 'node:path'
import { parseArgs } from 'node:util'
import { MAX_FEN } from '../shared/money'
import { RENDERER_DIR, ROOT } from '../scripts/launch'
import { defaultConfig } from './context'
import { databaseKind, openBackendDb } from './db/connect'
import { migrateToLatest } from './db/migrate'
import { seedDemo } from './seed/demo'
import { buildBackend, type AcquirerSetting } from './server'

const USAGE =
  'usage: npm run backend -- [--port 8080] [--host 127.0.0.1] [--db FILE|URL] [--seed demo] [--sandbox]\n' +
  '                          [--sandbox-db FILE] [--public-url URL]\n' +
  '       npm run backend -- import-statement FILE [--db FILE|URL] [--key KEY | --sandbox-db FILE]\n' +
  'Without --sandbox, an acquirer is configured with TUOTOU_ACQUIRER_URL, TUOTOU_ACQUIRER_KEY and\n' +
  'TUOTOU_ACQUIRER_SECRET; without either, payment calls answer 503 acquirer.not_configured.\n' +
  'TUOTOU_MAX_ORDER_FEN sets the ceiling on one COD order in fen (default 5000000, i.e. ¥50,000).\n' +
  'TUOTOU_CLOSURE_AFTER_MS sets how long after the courier left the door an intent must be final (default 600000).\n' +
  "TUOTOU_CHARGE_QUERY_FOR_MS sets how long a customer's payment code is queried before it is revoked (default 60000)."

// `import-statement FILE …` is a command of its own: it imports and exits, starting no server.
if (process.argv[2] === 'import-statement') {
  const { runImportStatement } = await import('./statements/cli')
  const defaultDb = process.env.DATABASE_URL || join(ROOT, '.data', 'backend.sqlite')
  process.exit(
    await runImportStatement(process.argv.slice(3), defaultDb, (db) =>
      join(dirname(db), `${basename(db).replace(/\.\w+$/, '')}.acquirer.sqlite`),
    ),
  )
}

function fail(message: string): never {
  console.error(`${message}\n${USAGE}`)
  process.exit(2)
}

const parse = () =>
  parseArgs({
    options: {
      port: { type: 'string', default: '8080' },
      host: { type: 'string', default: '127.0.0.1' },
      db: { type: 'string' },
      seed: { type: 'string' },
      sandbox: { type: 'boolean', default: false },
      'sandbox-db': { type: 'string' },
      'public-url': { type: 'string' },
      help: { type: 'boolean', default: false },
    },
    strict: true,
  }).values
let args: ReturnType<typeof parse>
try {
  args = parse()
} catch (error) {
  fail(error instanceof Error ? error.message : String(error))
}
if (args.help) {
  console.log(USAGE)
  process.exit(0)
}
const port = Number(args.port)
if (!Number.isInteger(port) || port < 0 || port > 65535) fail(`--port must be a port number, not "${args.port}"`)
if (args.seed !== undefined && args.seed !== 'demo') fail(`--seed knows only "demo", not "${args.seed}"`)

const version = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string }).version
const target = args.db ?? process.env.DATABASE_URL ?? join(ROOT, '.data', 'backend.sqlite')

/** The sandbox acquirer's own file: next to a SQLite database, or under .data/ for PostgreSQL. */
function sandboxFile(): string {
  if (args['sandbox-db']) return args['sandbox-db']
  if (databaseKind(target) === 'sqlite')
    return join(dirname(target), `${basename(target).replace(/\.\w+$/, '')}.acquirer.sqlite`)
  const url = new URL(target)
  const name = `${url.pathname.slice(1)}-${url.searchParams.get('schema') ?? 'public'}`.replace(/[^A-Za-z0-9_-]/g, '_')
  return join(ROOT, '.data', `acquirer-${name}.sqlite`)
}

let acquirer: AcquirerSetting = { kind: 'none' }
if (args.sandbox) {
  acquirer = { kind: 'sandbox', file: sandboxFile(), rendererDir: RENDERER_DIR }
} else if (process.env.TUOTOU_ACQUIRER_URL) {
  const { TUOTOU_ACQUIRER_URL: baseUrl, TUOTOU_ACQUIRER_KEY: apiKey, TUOTOU_ACQUIRER_SECRET: secret } = process.env
  if (!apiKey || !secret) fail('TUOTOU_ACQUIRER_URL needs TUOTOU_ACQUIRER_KEY and TUOTOU_ACQUIRER_SECRET too')
  acquirer = { kind: 'external', baseUrl, apiKey, webhookSecret: secret }
}

// The business ceiling on one COD order, fen (¥50,000 unless set; at most MAX_FEN).
const ceiling = process.env.TUOTOU_MAX_ORDER_FEN
const maxOrderFen = ceiling === undefined ? undefined : Number(ceiling)
if (maxOrderFen !== undefined && !(Number.isSafeInteger(maxOrderFen) && maxOrderFen > 0 && maxOrderFen <= MAX_FEN)) {
  fail(`TUOTOU_MAX_ORDER_FEN must be a whole number of fen from 1 to ${MAX_FEN}`)
}

// The payment-closure bound: past it, the reconciliation worker settles an intent with no final state.
const closureAfter = process.env.TUOTOU_CLOSURE_AFTER_MS
const closureAfterMs = closureAfter === undefined ? undefined : Number(closureAfter)
if (closureAfterMs !== undefined && !(Number.isSafeInteger(closureAfterMs) && closureAfterMs >= 1_000)) {
  fail('TUOTOU_CLOSURE_AFTER_MS must be a whole number of ms, at least 1000')
}
// How long a charge of a customer's payment code is queried before it is revoked (60 s by default).
const chargeFor = process.env.TUOTOU_CHARGE_QUERY_FOR_MS
const chargeForMs = chargeFor === undefined ? undefined : Number(chargeFor)
if (
  chargeForMs !== undefined &&
  !(Number.isSafeInteger(chargeForMs) && chargeForMs >= 5_000 && chargeForMs <= 600_000)
) {
  fail('TUOTOU_CHARGE_QUERY_FOR_MS must be a whole number of ms from 5000 to 600000')
}
const defaults = defaultConfig(version)

const database = openBackendDb(target)
const applied = await migrateToLatest(database)
const backend = await buildBackend({
  database,
  version,
  acquirer,
  publicUrl: args['public-url'],
  rendererDir: RENDERER_DIR,
  config: {
    ...(maxOrderFen === undefined ? {} : { maxOrderFen }),
    ...(chargeForMs === undefined ? {} : { charge: { ...defaults.charge, queryForMs: chargeForMs } }),
    ...(closureAfterMs === undefined
      ? {}
      : {
          closure: {
            ...defaults.closure,
            afterMs: closureAfterMs,
            pollMs: Math.min(defaults.closure.pollMs, closureAfterMs),
          },
        }),
  },
  logger: { level: process.env.LOG_LEVEL ?? 'info' },
})
const seed = args.seed === 'demo' ? await seedDemo(database.db) : null
const url = await backend.listen(port, args.host)
backend.app.log.info(
  { event: 'listening', url, database: database.kind, migrations: applied.length, sandbox: args.sandbox },
  'backend listening',
)
if (args.sandbox) {
  console.log(`Sandbox acquirer: ${url}/sandbox/acquirer (its own store: ${sandboxFile()})`)
  console.log(`Wallet page: ${url}/sandbox/wallet/`)
}
console.log(`Depot dashboard: ${url}/depot/`)
if (seed) {
  console.log(`Demo depot: ${seed.depotId}, route ${seed.routeDate}: ${seed.orders} orders (${seed.codOrders} COD)`)
  console.log(`Demo supervisor: login ${seed.supervisor.login}, password ${seed.supervisor.password}`)
  console.log(`Demo couriers: ${seed.couriers.map((c) => `${c.staffId} ${c.name} PIN ${c.pin}`).join('; ')}`)
  console.log(`Demo device: ${seed.device.deviceId}, token ${seed.device.deviceToken}`)
  console.log(`Enrollment code: ${seed.enrollmentCode.code} (single use, until ${seed.enrollmentCode.expiresAt})`)
}
// Always printed, whatever the log level, and last: `npm start` and the tests wait for this line, and by then
// everything above (the seed's codes) is printed too.
console.log(`Backend: ${url} (${database.kind}, ${database.description})`)

const stop = (): void => {
  void backend.close().finally(() => void database.close().finally(() => process.exit(0)))
}
process.once('SIGINT', stop)
process.once('SIGTERM', stop)
