import { createHmac, timingSafeEqual } from 'node:crypto'
import { fenToDecimal, parseYuan } from '../../shared/money'

/**
 * The acquirer's daily statement (对账单), as the sandbox writes it and the backend reads it. Like a real
 * acquirer's, it is CSV with a header line, one row per movement of money on the day, cut by the time it
 * succeeded in Asia/Shanghai (a payment at 00:10 belongs to the day it starts):
 *
 * ```
 * #statement,v1,merchant=JDL-SZ-0001,date=2026-12-01,tz=Asia/Shanghai,rows=2,checksum=<64 hex>
 * transaction_id,intent_id,amount,fee,time,type
 * tx_8f…,pi_3k…,66.60,0.04,2026-12-01T10:00:00.000+08:00,payment
 * rf_flg_…,pi_3k…,66.60,0.00,2026-12-01T11:00:00.000+08:00,refund
 * ```
 *
 * Amounts and fees are yuan with two decimals; a refund row's transaction ID is its refund number. The checksum
 * is HMAC-SHA256, keyed with the merchant's API key, over the header up to `,checksum=` and every line after it,
 * joined by `\n`: a statement changed after the acquirer wrote it (its merchant, day or row count included) does
 * not match, even with a plain hash recomputed.
 */
export interface StatementLine {
  /** 1-based line in the file, for what a refusal names. */
  line: number
  transactionId: string
  intentId: string
  amountFen: number
  feeFen: number
  /** ISO 8601 with +08:00. */
  time: string
  timeMs: number
  type: 'payment' | 'refund'
}

export interface Statement {
  merchantId: string
  date: string
  checksum: string
  lines: StatementLine[]
}

/** A statement refused: the line it failed on (1-based) and why. Nothing was imported. */
export class StatementError extends Error {
  constructor(
    readonly line: number,
    readonly reason: string,
  ) {
    super(`line ${line}: ${reason}`)
    this.name = 'StatementError'
  }
}

export const STATEMENT_COLUMNS = 'transaction_id,intent_id,amount,fee,time,type'
const HEADER =
  /^#statement,v1,merchant=([A-Za-z0-9._-]{1,40}),date=(\d{4}-\d{2}-\d{2}),tz=Asia\/Shanghai,rows=(\d{1,7}),checksum=([0-9a-f]{64})$/
const ID = /^[A-Za-z0-9_]{4,64}$/
const INTENT = /^pi_[A-Za-z0-9]{4,40}$/
const TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,3})?\+08:00$/
/** A statement bigger than this is not one day of one merchant. */
export const MAX_STATEMENT_BYTES = 16 * 1024 * 1024

const SHANGHAI_MS = 8 * 3600_000

/** `ms` as Asia/Shanghai ISO time: `2026-12-01T10:00:00.000+08:00`. */
export function shanghaiIso(ms: number): string {
  return new Date(ms + SHANGHAI_MS).toISOString().replace('Z', '+08:00')
}

export function statementChecksum(secret: string, body: string): string {
  return createHmac('sha256', secret).update(body).digest('hex')
}

/** Writes a statement; lines in the order given (the sandbox sorts by time). */
export function writeStatement(
  statement: { merchantId: string; date: string; lines: Omit<StatementLine, 'line' | 'time'>[] },
  secret: string,
): string {
  const rows = statement.lines.map((line) =>
    [
      line.transactionId,
      line.intentId,
      fenToDecimal(line.amountFen),
      fenToDecimal(line.feeFen),
      shanghaiIso(line.timeMs),
      line.type,
    ].join(','),
  )
  const body = [STATEMENT_COLUMNS, ...rows].join('\n')
  const signed = `#statement,v1,merchant=${statement.merchantId},date=${statement.date},tz=Asia/Shanghai,rows=${rows.length}`
  return `${signed},checksum=${statementChecksum(secret, `${signed}\n${body}`)}\n${body}\n`
}

/**
 * Reads a statement, refusing the first thing wrong with the line it is on: the header, the columns, a row's
 * fields, a row on another day, a transaction twice, the row count, and last the checksum (a change the rows
 * themselves do not show is told by the header's checksum, on line 1).
 */
export function readStatement(text: string, secret: string): Statement {
  if (text.length > MAX_STATEMENT_BYTES) throw new StatementError(1, 'the file is too large to be one statement')
  const all = text.replace(/\r\n/g, '\n').split('\n')
  if (all.at(-1) === '') all.pop()
  const header = HEADER.exec(all[0] ?? '')
  if (!header) {
    throw new StatementError(
      1,
      'not a statement header: expected #statement,v1,merchant=…,date=…,tz=Asia/Shanghai,rows=…,checksum=…',
    )
  }
  const [, merchantId, date, rowsText, checksum] = header as unknown as [string, string, string, string, string]
  const dayStart = Date.parse(`${date}T00:00:00+08:00`)
  if (!Number.isFinite(dayStart) || shanghaiIso(dayStart).slice(0, 10) !== date) {
    throw new StatementError(1, `date ${date} is not a day`)
  }
  if (all[1] !== STATEMENT_COLUMNS) throw new StatementError(2, `the columns must be ${STATEMENT_COLUMNS}`)
  const lines: StatementLine[] = []
  const seen = new Map<string, number>()
  for (let i = 2; i < all.length; i++) {
    const line = i + 1
    const fields = all[i]!.split(',')
    if (fields.length !== 6) throw new StatementError(line, `a row has 6 fields, this one ${fields.length}`)
    const [transactionId, intentId, amount, fee, time, type] = fields as [
      string,
      string,
      string,
      string,
      string,
      string,
    ]
    if (!ID.test(transactionId))
      throw new StatementError(line, `transaction ID ${JSON.stringify(transactionId)} is malformed`)
    if (!INTENT.test(intentId)) throw new StatementError(line, `intent ${JSON.stringify(intentId)} is malformed`)
    const amountFen = /^\d+\.\d{2}$/.test(amount) ? parseYuan(amount) : null
    if (amountFen === null || amountFen === 0) {
      throw new StatementError(
        line,
        `amount ${JSON.stringify(amount)} is not a positive amount in yuan with two decimals`,
      )
    }
    const feeFen = /^\d+\.\d{2}$/.test(fee) ? parseYuan(fee) : null
    if (feeFen === null || feeFen > amountFen) {
      throw new StatementError(
        line,
        `fee ${JSON.stringify(fee)} is not an amount in yuan with two decimals, at most the amount`,
      )
    }
    const timeMs = TIME.test(time) ? Date.parse(time) : NaN
    if (!Number.isFinite(timeMs))
      throw new StatementError(line, `time ${JSON.stringify(time)} is not a time with +08:00`)
    if (timeMs < dayStart || timeMs >= dayStart + 24 * 3600_000) {
      throw new StatementError(line, `time ${time} is not on ${date} (Asia/Shanghai)`)
    }
    if (type !== 'payment' && type !== 'refund')
      throw new StatementError(line, `type ${JSON.stringify(type)} is payment or refund`)
    const first = seen.get(transactionId)
    if (first !== undefined) throw new StatementError(line, `transaction ${transactionId} is already on line ${first}`)
    seen.set(transactionId, line)
    lines.push({ line, transactionId, intentId, amountFen, feeFen, time, timeMs, type })
  }
  if (lines.length !== Number(rowsText)) {
    throw new StatementError(1, `the header says ${Number(rowsText)} rows, the statement has ${lines.length}`)
  }
  const signed = all[0]!.slice(0, all[0]!.lastIndexOf(',checksum='))
  const expected = Buffer.from(statementChecksum(secret, [signed, ...all.slice(1)].join('\n')), 'hex')
  if (!timingSafeEqual(expected, Buffer.from(checksum, 'hex'))) {
    throw new StatementError(
      1,
      "the checksum does not match the statement's lines: it was changed after the acquirer wrote it",
    )
  }
  return { merchantId, date, checksum, lines }
}
