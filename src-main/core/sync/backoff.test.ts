import { describe, expect, it } from 'vitest'
import { fullJitterDelay } from './backoff'

describe('full-jitter backoff', () => {
  it('doubles its ceiling from 2 s and stops at the 5 min cap', () => {
    const top = (n: number): number => fullJitterDelay(n, 2000, 300_000, () => 0.999999)
    expect([1, 2, 3, 4].map(top)).toEqual([1999, 3999, 7999, 15_999])
    expect(top(9)).toBe(299_999)
    expect(top(10_000)).toBe(299_999)
  })

  it('draws anywhere from zero to the ceiling', () => {
    expect(fullJitterDelay(5, 2000, 300_000, () => 0)).toBe(0)
    expect(fullJitterDelay(5, 2000, 300_000, () => 0.5)).toBe(16_000)
    const draws = Array.from({ length: 500 }, () => fullJitterDelay(3, 2000, 300_000, Math.random))
    expect(Math.min(...draws)).toBeGreaterThanOrEqual(0)
    expect(Math.max(...draws)).toBeLessThan(8000)
    expect(new Set(draws).size).toBeGreaterThan(100)
  })

  it('waits nothing before the first failure', () => {
    expect(fullJitterDelay(0, 2000, 300_000, () => 0.7)).toBe(0)
  })
})
