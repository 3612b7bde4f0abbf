import { describe, expect, it } from 'vitest'
import { Fen, fenToDecimal, formatFen, MAX_FEN, parseYuan, TotalFen } from './money'

describe('money in fen', () => {
  it('formats fen as yuan with two decimals', () => {
    expect(formatFen(6660)).toBe('¥66.60')
    expect(formatFen(19900)).toBe('¥199.00')
    expect(formatFen(5)).toBe('¥0.05')
    expect(formatFen(0)).toBe('¥0.00')
    expect(formatFen(123456789)).toBe('¥1,234,567.89')
    expect(formatFen(-500)).toBe('-¥5.00')
  })

  it('refuses to format a fractional amount', () => {
    expect(() => formatFen(66.6)).toThrow(RangeError)
  })

  it('writes the EMVCo decimal form', () => {
    expect(fenToDecimal(6660)).toBe('66.60')
    expect(fenToDecimal(1)).toBe('0.01')
    expect(() => fenToDecimal(-1)).toThrow(RangeError)
  })

  it('parses yuan text exactly, without floating point', () => {
    expect(parseYuan('66.60')).toBe(6660)
    expect(parseYuan('66.6')).toBe(6660)
    expect(parseYuan('0.29')).toBe(29)
    expect(parseYuan('199')).toBe(19900)
    for (const bad of ['', '-1', '1e3', '66.600', ' 66.60', '066.60', '66.', '.5', 'NaN', '99999999999']) {
      expect(parseYuan(bad), bad).toBeNull()
    }
  })

  it('round-trips every fen value through the decimal form', () => {
    for (let fen = 0; fen < 20_000; fen += 7) expect(parseYuan(fenToDecimal(fen))).toBe(fen)
  })

  it('accepts only non-negative integer fen within the ceiling', () => {
    expect(Fen.safeParse(6660).success).toBe(true)
    for (const bad of [-1, 1.5, MAX_FEN + 1, Number.NaN, '6660']) expect(Fen.safeParse(bad).success).toBe(false)
    // A total is any sum of orders: two of the largest, and far more, as long as it sums exactly.
    for (const total of [2 * MAX_FEN, 100_000 * MAX_FEN]) expect(TotalFen.safeParse(total).success).toBe(true)
    for (const bad of [-1, 0.5, Number.MAX_SAFE_INTEGER + 1]) expect(TotalFen.safeParse(bad).success).toBe(false)
  })
})
