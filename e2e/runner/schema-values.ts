import { z } from 'zod'
import { MAX_FEN } from '../../shared/money'

/**
 * The round file's values that every part of its schema uses (`schema.ts`, `proof.ts`): money written as quoted
 * yuan with two decimals ("66.60"), which becomes integer fen, and durations written "8s", "500ms" or "2m".
 */

const AMOUNT = /^(0|[1-9]\d{0,7})\.(\d{2})$/

/** `"66.60"` → 6660. A bare YAML number is refused: `66.6` would be a float, and money is never a float. */
export const Amount = z.unknown().transform((input, ctx): number => {
  const hint = 'write amounts as quoted yuan with two decimals, like "66.60"'
  if (input === undefined) {
    ctx.addIssue({ code: 'custom', message: `missing: ${hint}` })
    return z.NEVER
  }
  if (typeof input === 'number') {
    ctx.addIssue({ code: 'custom', message: `${hint}; YAML read ${input} as a number, which is not exact money` })
    return z.NEVER
  }
  const match = typeof input === 'string' ? AMOUNT.exec(input) : null
  if (!match) {
    ctx.addIssue({ code: 'custom', message: `${hint}, not ${JSON.stringify(input)}` })
    return z.NEVER
  }
  const fen = Number(match[1]) * 100 + Number(match[2])
  if (fen > MAX_FEN) {
    ctx.addIssue({ code: 'custom', message: `${input as string} is more than any order could be` })
    return z.NEVER
  }
  return fen
})

const DURATION = /^(\d+(?:\.\d+)?)(ms|s|m)$/

/** `"8s"`, `"500ms"`, `"1.5s"`, `"2m"` → milliseconds. */
export const Duration = z.unknown().transform((input, ctx): number => {
  const match = typeof input === 'string' ? DURATION.exec(input.trim()) : null
  if (!match) {
    ctx.addIssue({
      code: 'custom',
      message: `a duration is written like "8s", "500ms" or "2m", not ${JSON.stringify(input)}`,
    })
    return z.NEVER
  }
  const unit = { ms: 1, s: 1000, m: 60_000 }[match[2] as 'ms' | 's' | 'm']
  const ms = Math.round(Number(match[1]) * unit)
  if (ms > 30 * 60_000) {
    ctx.addIssue({
      code: 'custom',
      message: `${String(input)} is longer than anything a round waits for (30 min at most)`,
    })
    return z.NEVER
  }
  return ms
})
