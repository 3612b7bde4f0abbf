import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { ROOT } from '../scripts/launch'
import { openBackendDb } from './db/connect'
import { migrateToLatest } from './db/migrate'
import { buildBackend } from './server'

const USAGE = 'usage: npm run backend -- [--port 8080] [--host 127.0.0.1] [--db FILE|URL]'

function fail(message: string): never {
  console.error(`${message}\n${USAGE}`)
  process.exit(2)
}

let args
try {
  args = parseArgs({
    options: {
      port: { type: 'string', default: '8080' },
      host: { type: 'string', default: '127.0.0.1' },
      db: { type: 'string' },
      help: { type: 'boolean', default: false },
    },
    strict: true,
  }).values
} catch (error) {
  fail(error instanceof Error ? error.message : String(error))
}
if (args.help) {
  console.log(USAGE)
  process.exit(0)
}
const port = Number(args.port)
if (!Number.isInteger(port) || port < 0 || port > 65535) fail(`--port must be a port number, not "${args.port}"`)

const version = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string }).version
const target = args.db ?? process.env.DATABASE_URL ?? join(ROOT, '.data', 'backend.sqlite')
const database = openBackendDb(target)
const applied = await migrateToLatest(database.db)
const app = await buildBackend({ database, version, logger: { level: process.env.LOG_LEVEL ?? 'info' } })
await app.listen({ host: args.host, port })
const address = app.server.address()
const boundPort = address && typeof address === 'object' ? address.port : port
const url = `http://${args.host}:${boundPort}`
app.log.info({ event: 'listening', url, database: database.kind, migrations: applied.length }, 'backend listening')
// Always printed, whatever the log level: `npm start` and the tests wait for this line.
console.log(`Backend: ${url} (${database.kind}, ${database.description})`)

const stop = (): void => {
  void app.close().finally(() => void database.close().finally(() => process.exit(0)))
}
process.once('SIGINT', stop)
process.once('SIGTERM', stop)
