import { describe, expect, it } from 'vitest'
import { toCsv, type CsvColumn } from './csv'

interface Row {
  name: string
  note: string | null
  delivered: number
  cashFen: number
  gapFen: number
}

const columns: CsvColumn<Row>[] = [
  { header: '快递员', value: (r) => r.name },
  { header: 'Note, if any', value: (r) => r.note },
  { header: 'Delivered', value: (r) => r.delivered },
  { header: '现金 (¥)', value: (r) => ({ fen: r.cashFen }) },
  { header: 'Gap', value: (r) => ({ fen: r.gapFen }) },
]

describe('CSV export', () => {
  it('starts with a UTF-8 byte order mark and ends every line with CRLF', () => {
    const csv = toCsv(columns, [{ name: '李强', note: null, delivered: 12, cashFen: 6660, gapFen: 0 }])
    expect(csv.charCodeAt(0)).toBe(0xfeff)
    expect(new TextEncoder().encode(csv).slice(0, 3)).toEqual(new Uint8Array([0xef, 0xbb, 0xbf]))
    expect(csv.slice(1)).toBe('快递员,"Note, if any",Delivered,现金 (¥),Gap\r\n李强,,12,66.60,0.00\r\n')
  })

  it('quotes commas, quotes, line breaks and edge spaces, doubling quotes', () => {
    const csv = toCsv(columns, [
      { name: 'Wang "Fang"', note: 'short, came back\nlater', delivered: 0, cashFen: 5, gapFen: -660 },
      { name: ' padded ', note: 'ok', delivered: 1, cashFen: 100, gapFen: 1 },
    ])
    const [, first, second] = csv.slice(1).split('\r\n')
    expect(first).toBe('"Wang ""Fang""","short, came back\nlater",0,0.05,-6.60')
    expect(second).toBe('" padded ",ok,1,1.00,0.01')
  })

  it('neutralises text that a spreadsheet would run as a formula, but keeps negative money a number', () => {
    const csv = toCsv(columns, [
      { name: '=HYPERLINK("http://x","y")', note: '+1', delivered: 3, cashFen: 0, gapFen: -1 },
      { name: '@SUM(A1)', note: '-2+3', delivered: 3, cashFen: 0, gapFen: -100 },
    ])
    const [, first, second] = csv.slice(1).split('\r\n')
    expect(first).toBe(`"'=HYPERLINK(""http://x"",""y"")",'+1,3,0.00,-0.01`)
    expect(second).toBe(`'@SUM(A1),'-2+3,3,0.00,-1.00`)
  })

  it('neutralises a formula behind leading blanks, line breaks, invisible characters or full-width signs (OWASP)', () => {
    // The one cell after the header line `h\r\n`, without the final CRLF.
    const one = (text: string) =>
      toCsv([{ header: 'h', value: (r: { t: string }) => r.t }], [{ t: text }]).slice('\ufeffh\r\n'.length, -2)
    for (const text of [
      ' =1+1',
      '  +cmd',
      '\n=1',
      '\r\n-2',
      '\u00a0@SUM(A1)',
      '\u3000=1',
      '\u200b=HYPERLINK("http://x")',
      '\u200d\u2060+1',
      '\ufeff=1',
      '\u202e=1',
      '＝1+1',
      '＋1',
      '－1',
      '＠SUM(A1)',
      ' \u200b ＝1',
      '\t',
      '\rtext',
    ]) {
      const cell = one(text)
      const inner = cell.startsWith('"') ? cell.slice(1, -1).replace(/""/g, '"') : cell
      expect(inner, JSON.stringify(text)).toBe(`'${text}`)
    }
    for (const text of ['李强', 'a=b', '1-2', 'note: +1', ' padded ']) {
      const cell = one(text)
      expect(cell.startsWith("'") || cell.startsWith(`"'`), JSON.stringify(text)).toBe(false)
    }
  })

  it('refuses a number that is not a whole number rather than writing a float', () => {
    expect(() => toCsv(columns, [{ name: 'x', note: null, delivered: 1.5, cashFen: 0, gapFen: 0 }])).toThrow(RangeError)
  })
})
