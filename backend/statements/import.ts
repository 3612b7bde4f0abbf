import type { FastifyBaseLogger } from 'fastify'
import type { BackendDb, Trx } from '../db/connect'
import type { StatementTable } from '../db/schema'
import { inTransaction } from '../db/transaction'
import { ApiError } from '../http/errors'
import { newId } from '../ids'
import { readStatement, StatementError, type Statement } from './format'

/** Lines written per INSERT: well under PostgreSQL's 65,535 parameters at 8 columns a line. */
const LINES_PER_INSERT = 1_000

export interface StatementImport {
  statement: StatementTable
  /** False when this very statement (its checksum) was imported before by the same importer: nothing changed. */
  imported: boolean
}

/** The refusal of a statement that does not read, with the 1-based line it failed on. */
export function statementRefusal(error: StatementError): ApiError {
  return new ApiError(422, 'statement.invalid', `the statement was refused at line ${error.line}: ${error.reason}`, {
    line: error.line,
    reason: error.reason,
  })
}

/**
 * Reads and stores the acquirer's statement for a merchant's day, in one transaction: the statement once (by its
 * checksum, unique), every line, and the importer (a depot, or `null` for the command line). A statement that does
 * not read, or whose checksum is not the merchant key's over its lines, is refused (`statement.invalid` with the
 * line) before anything is written. Importing the same statement again changes nothing.
 */
export async function importStatement(
  database: BackendDb,
  log: Pick<FastifyBaseLogger, 'error'>,
  input: { csv: string; secret: string; depotId: string | null; importedBy: string; now: number },
): Promise<StatementImport> {
  let parsed: Statement
  try {
    parsed = readStatement(input.csv, input.secret)
  } catch (error) {
    if (error instanceof StatementError) throw statementRefusal(error)
    throw error
  }
  return inTransaction(database, log, async (trx) => {
    const fresh: StatementTable = {
      id: newId('stm'),
      merchant_id: parsed.merchantId,
      depot_id: input.depotId,
      statement_date: parsed.date,
      checksum: parsed.checksum,
      rows: parsed.lines.length,
      imported_by: input.importedBy,
      imported_ms: input.now,
    }
    // Two importers racing with the same file: the unique checksum lets one insert it, the other finds it.
    const inserted = await trx
      .insertInto('statements')
      .values(fresh)
      .onConflict((conflict) => conflict.column('checksum').doNothing())
      .executeTakeFirst()
    const statement =
      Number(inserted.numInsertedOrUpdatedRows ?? 0n) === 1
        ? fresh
        : await trx
            .selectFrom('statements')
            .selectAll()
            .where('checksum', '=', parsed.checksum)
            .executeTakeFirstOrThrow()
    if (statement.id === fresh.id) await insertLines(trx, fresh.id, parsed)
    const importer = await trx
      .insertInto('statement_imports')
      .values({
        id: `${statement.id}:${input.depotId ?? '*'}`,
        statement_id: statement.id,
        depot_id: input.depotId,
        imported_by: input.importedBy,
        imported_ms: input.now,
      })
      .onConflict((conflict) => conflict.column('id').doNothing())
      .executeTakeFirst()
    return { statement, imported: Number(importer.numInsertedOrUpdatedRows ?? 0n) === 1 }
  })
}

async function insertLines(trx: Trx, statementId: string, statement: Statement): Promise<void> {
  for (let from = 0; from < statement.lines.length; from += LINES_PER_INSERT) {
    await trx
      .insertInto('statement_lines')
      .values(
        statement.lines.slice(from, from + LINES_PER_INSERT).map((line) => ({
          statement_id: statementId,
          line: line.line,
          transaction_id: line.transactionId,
          intent_id: line.intentId,
          amount_fen: line.amountFen,
          fee_fen: line.feeFen,
          time_ms: line.timeMs,
          type: line.type,
        })),
      )
      .execute()
  }
}
