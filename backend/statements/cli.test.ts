import { execFile } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { afterAll, describe, expect, it } from 'vitest'
import { openBackendDb } from '../db/connect'
import { SandboxStore } from '../sandbox/store'
import { writeStatement } from './format'

const run = promisify(execFile)
const ROOT = join(import.meta.dirname, '../..')

/** `npm run backend -- import-statement FILE`, as a real process on a real SQLite file. */
async function importByCommand(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(
      process.execPath,
      ['--import', 'tsx', join(ROOT, 'backend/cli.ts'), 'import-statement', ...args],
      { cwd: ROOT, env: { ...process.env, TUOTOU_ACQUIRER_KEY: '', DATABASE_URL: '' }, timeout: 60_000 },
    )
    return { code: 0, stdout, stderr }
  } catch (error) {
    const failed = error as { code: number; stdout: string; stderr: string }
    return { code: failed.code, stdout: failed.stdout, stderr: failed.stderr }
  }
}

describe('import-statement on the command line', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tuotou-statement-cli-'))
  afterAll(() => rmSync(dir, { recursive: true, force: true }))
  const db = join(dir, 'backend.sqlite')
  const sandbox = new SandboxStore(join(dir, 'backend.acquirer.sqlite'))
  const key = sandbox.identity().apiKey
  sandbox.sqlite.close()
  const now = Date.now()
  const date = new Date(now + 8 * 3600_000).toISOString().slice(0, 10)
  const csv = writeStatement(
    {
      merchantId: 'JDL-SZ-0001',
      date,
      lines: [
        {
          transactionId: 'tx_cliPayment0001',
          intentId: 'pi_cliIntent0001',
          amountFen: 6660,
          feeFen: 4,
          timeMs: now,
          type: 'payment',
        },
        {
          transactionId: 'rf_cliRefund0001',
          intentId: 'pi_cliIntent0001',
          amountFen: 6660,
          feeFen: 0,
          timeMs: now,
          type: 'refund',
        },
      ],
    },
    key,
  )
  const file = join(dir, 'statement.csv')
  writeFileSync(file, csv)

  const stored = async () => {
    const database = openBackendDb(db)
    try {
      return {
        statements: await database.db.selectFrom('statements').selectAll().execute(),
        lines: await database.db.selectFrom('statement_lines').selectAll().execute(),
        imports: await database.db.selectFrom('statement_imports').selectAll().execute(),
      }
    } finally {
      await database.close()
    }
  }

  it('imports a statement with the sandbox key next to the database, and once only', async () => {
    const first = await importByCommand([file, '--db', db])
    expect(first.code, first.stderr).toBe(0)
    expect(JSON.parse(first.stdout.trim().split('\n').at(-1)!)).toMatchObject({ date, rows: 2, imported: true })
    const after = await stored()
    expect(after.lines.map((l) => [l.line, l.transaction_id, Number(l.amount_fen), l.type])).toEqual([
      [3, 'tx_cliPayment0001', 6660, 'payment'],
      [4, 'rf_cliRefund0001', 6660, 'refund'],
    ])
    expect(after.imports.map((i) => i.depot_id)).toEqual([null])

    const again = await importByCommand([file, '--db', db])
    expect(again.code, again.stderr).toBe(0)
    expect(JSON.parse(again.stdout.trim().split('\n').at(-1)!)).toMatchObject({ imported: false })
    expect(await stored()).toEqual(after)
  }, 120_000)

  it('refuses a tampered or malformed file with its line, exit 1, changing nothing', async () => {
    await importByCommand([file, '--db', db])
    const before = await stored()
    const tampered = join(dir, 'tampered.csv')
    writeFileSync(tampered, csv.replace(',66.60,0.04,', ',6.66,0.04,'))
    const changed = await importByCommand([tampered, '--db', db])
    expect([changed.code, changed.stderr]).toEqual([1, expect.stringMatching(/refused at line 1: the checksum/)])
    writeFileSync(tampered, csv.replace(',66.60,0.00,', ',66.60,-1,'))
    const malformed = await importByCommand([tampered, '--db', db])
    expect([malformed.code, malformed.stderr]).toEqual([1, expect.stringMatching(/refused at line 4: fee "-1"/)])
    const wrongKey = await importByCommand([file, '--db', db, '--key', 'not-the-merchant-key'])
    expect(wrongKey.code).toBe(1)
    expect(await stored()).toEqual(before)
    expect((await importByCommand(['--db', db])).code).toBe(2)
  }, 120_000)
})
