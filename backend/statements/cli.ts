import { existsSync, readFileSync } from 'node:fs'
import { parseArgs } from 'node:util'
import { openBackendDb } from '../db/connect'
import { migrateToLatest } from '../db/migrate'
import { ApiError } from '../http/errors'
import { SandboxStore } from '../sandbox/store'
import { importStatement } from './import'

export const IMPORT_USAGE =
  'usage: npm run backend -- import-statement FILE [--db FILE|URL] [--key MERCHANT_KEY | --sandbox-db FILE]\n' +
  "Imports the acquirer's daily statement into the backend's database (every depot sees it). The merchant key\n" +
  "checks the statement's checksum: --key, else TUOTOU_ACQUIRER_KEY, else the sandbox acquirer's store.\n" +
  'Exit 0: imported, or imported before (nothing changed); 1: refused (the line and why on stderr); 2: usage.'

/**
 * `npm run backend -- import-statement FILE`: the command-line import of a statement, the same transaction as
 * `POST /api/v1/depot/statements`. Prints one JSON line on success; a refusal names the line it failed on.
 */
export async function runImportStatement(
  argv: string[],
  defaultDb: string,
  sandboxFileOf: (db: string) => string,
): Promise<number> {
  let values: { db?: string; key?: string; 'sandbox-db'?: string }
  let positionals: string[]
  try {
    ;({ values, positionals } = parseArgs({
      args: argv,
      options: { db: { type: 'string' }, key: { type: 'string' }, 'sandbox-db': { type: 'string' } },
      allowPositionals: true,
      strict: true,
    }))
  } catch (error) {
    console.error(`${error instanceof Error ? error.message : String(error)}\n${IMPORT_USAGE}`)
    return 2
  }
  if (positionals.length !== 1) {
    console.error(`import-statement takes one statement file\n${IMPORT_USAGE}`)
    return 2
  }
  const file = positionals[0]!
  let csv: string
  try {
    csv = readFileSync(file, 'utf8')
  } catch (error) {
    console.error(`cannot read ${file}: ${error instanceof Error ? error.message : String(error)}`)
    return 2
  }
  const target = values.db || process.env.DATABASE_URL || defaultDb
  let secret = values.key || process.env.TUOTOU_ACQUIRER_KEY || null
  if (secret === null) {
    const sandboxFile = values['sandbox-db'] ?? sandboxFileOf(target)
    if (!existsSync(sandboxFile)) {
      console.error(`no merchant key: give --key, TUOTOU_ACQUIRER_KEY or --sandbox-db (${sandboxFile} does not exist)`)
      return 2
    }
    const store = new SandboxStore(sandboxFile)
    try {
      secret = store.identity().apiKey
    } finally {
      store.sqlite.close()
    }
  }
  const database = openBackendDb(target)
  try {
    await migrateToLatest(database)
    const { statement, imported } = await importStatement(database, console, {
      csv,
      secret,
      depotId: null,
      importedBy: 'command line',
      now: Date.now(),
    })
    console.log(
      JSON.stringify({
        statementId: statement.id,
        merchantId: statement.merchant_id,
        date: statement.statement_date,
        rows: statement.rows,
        imported,
      }),
    )
    return 0
  } catch (error) {
    if (error instanceof ApiError) {
      console.error(`${file}: ${error.message}`)
      return 1
    }
    throw error
  } finally {
    await database.close()
  }
}
