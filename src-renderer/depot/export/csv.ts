import { fenToDecimal } from '../../../shared/money'

/** A cell of an exported table: text, a whole number, an amount of money in fen, or nothing. */
export type CsvCell = string | number | { fen: number } | null

export interface CsvColumn<Row> {
  header: string
  value(row: Row): CsvCell
}

/**
 * Characters a spreadsheet skips at the start of a cell before it looks for a formula: blanks and line breaks
 * (`\s` covers the no-break and ideographic spaces and U+FEFF), and the invisible ones: soft hyphen, Mongolian
 * vowel separator, zero-width spaces and joiners, direction marks and embeddings, word joiner.
 */
const LEADING_INVISIBLE = /^[\s\u00ad\u180e\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069]*/u

/** What starts a formula: `= + - @`, their full-width and small forms, and the minus sign. */
const FORMULA_START = /^[=+\-@\uff1d\uff0b\uff0d\uff20\ufe62\ufe63\ufe66\ufe6b\u2212]/u

/**
 * OWASP's rule for CSV injection: a cell whose first character is a tab, carriage return or line feed, or whose
 * first visible character (after blanks, line breaks and invisible characters) starts a formula, is prefixed
 * with `'`, so a waybill or a note can never become a command in Excel or LibreOffice. Numbers and money are
 * written by us and stay numbers, negatives included.
 */
function neutralised(text: string): string {
  const visible = text.replace(LEADING_INVISIBLE, '')
  return /^[\t\r\n]/.test(text) || FORMULA_START.test(visible) ? `'${text}` : text
}

function quoted(text: string): string {
  return /[",\r\n]|^\s|\s$/.test(text) ? `"${text.replace(/"/g, '""')}"` : text
}

function cellText(cell: CsvCell): string {
  if (cell === null) return ''
  if (typeof cell === 'number') {
    if (!Number.isSafeInteger(cell)) throw new RangeError(`not a whole number: ${cell}`)
    return String(cell)
  }
  if (typeof cell === 'object') {
    const sign = cell.fen < 0 ? '-' : ''
    return `${sign}${fenToDecimal(Math.abs(cell.fen))}`
  }
  return quoted(neutralised(cell))
}

/**
 * A table as CSV (RFC 4180: comma-separated, quoted where needed, CRLF line ends), preceded by a UTF-8 byte
 * order mark so Excel reads Chinese names and notes as UTF-8 rather than the system code page.
 */
export function toCsv<Row>(columns: readonly CsvColumn<Row>[], rows: readonly Row[]): string {
  const lines = [columns.map((column) => quoted(neutralised(column.header))).join(',')]
  for (const row of rows) lines.push(columns.map((column) => cellText(column.value(row))).join(','))
  return `\uFEFF${lines.join('\r\n')}\r\n`
}

/** Hands a CSV text to the browser as a download named `name`. */
export function downloadCsv(name: string, text: string): void {
  const url = URL.createObjectURL(new Blob([text], { type: 'text/csv;charset=utf-8' }))
  const link = document.createElement('a')
  link.href = url
  link.download = name
  document.body.append(link)
  link.click()
  link.remove()
  setTimeout(() => URL.revokeObjectURL(url), 10_000)
}
