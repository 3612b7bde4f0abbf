import fc from 'fast-check'
import type { z } from 'zod'

/**
 * fast-check arbitraries made from zod schemas, so fuzz suites follow the contracts by themselves: a new IPC
 * channel or API route is covered as soon as its schema exists. `validFrom` makes values the schema should
 * accept (most of the time: some formats are approximated); `fuzzFrom` mixes those with near misses (one field of
 * the wrong type, at the edge of its type, huge or unicode-odd, missing, or an extra one) and with arbitrary JSON.
 */

interface Def {
  type: string
  [key: string]: unknown
}

interface CheckDef {
  check: string
  format?: string
  pattern?: RegExp
  value?: number
  inclusive?: boolean
  minimum?: number
  maximum?: number
}

const defOf = (schema: z.ZodType): Def => (schema as unknown as { _zod: { def: Def } })._zod.def
const checksOf = (def: Def): CheckDef[] =>
  ((def.checks as { _zod: { def: CheckDef } }[] | undefined) ?? []).map((check) => check._zod.def)

/** Values at and past the edges of every JSON type, and strings a parser or a screen might choke on. */
export const EDGE_VALUES: readonly unknown[] = [
  null,
  true,
  0,
  -0,
  -1,
  1.5,
  2 ** 31,
  Number.MAX_SAFE_INTEGER + 2,
  -Number.MAX_SAFE_INTEGER - 2,
  1e308,
  '',
  ' ',
  '\u0000',
  'x'.repeat(5000),
  '😀\u202e\u200b\ufeff',
  '１２３４',
  '0000-00-00T00:00:00Z',
  '../../etc/passwd',
  "ord_x'; DROP TABLE orders;--",
  '<script>alert(1)</script>',
  [],
  {},
  [null],
  { __proto__: null, constructor: 'x' },
]

function stringFrom(def: Def): fc.Arbitrary<string> {
  const format = def.format as string | undefined
  if (format === 'datetime') {
    return fc
      .date({ min: new Date('2020-01-01T00:00:00Z'), max: new Date('2035-01-01T00:00:00Z'), noInvalidDate: true })
      .map((date) => date.toISOString())
  }
  if (format === 'uuid' || format === 'guid') return fc.uuid()
  if (format === 'url') return fc.constantFrom('http://127.0.0.1:9', 'https://example.invalid/x')
  if (format === 'email') return fc.constant('a@example.invalid')
  if (def.pattern instanceof RegExp && format !== 'regex') return fc.stringMatching(def.pattern)
  const checks = checksOf(def)
  const regex = checks.find((check) => check.format === 'regex' && check.pattern instanceof RegExp)
  if (regex) return fc.stringMatching(regex.pattern!)
  const minLength = checks.find((check) => check.check === 'min_length')?.minimum ?? 0
  const maxLength = Math.min(checks.find((check) => check.check === 'max_length')?.maximum ?? 40, 40)
  return fc.string({ minLength: Math.min(minLength, maxLength), maxLength })
}

function numberFrom(def: Def): fc.Arbitrary<number> {
  const checks = checksOf(def)
  const integer = checks.some((check) => check.format === 'safeint' || check.format === 'int32')
  const low = checks.find((check) => check.check === 'greater_than')
  const high = checks.find((check) => check.check === 'less_than')
  if (integer) {
    const min = Math.max(Number.MIN_SAFE_INTEGER, low ? low.value! + (low.inclusive ? 0 : 1) : -1_000_000)
    const max = Math.min(Number.MAX_SAFE_INTEGER, high ? high.value! - (high.inclusive ? 0 : 1) : 1_000_000)
    return min <= max ? fc.integer({ min, max }) : fc.constant(min)
  }
  return fc.double({
    min: low?.value ?? -1e6,
    max: high?.value ?? 1e6,
    noNaN: true,
    noDefaultInfinity: true,
  })
}

/** Values the schema should accept. */
export function validFrom(schema: z.ZodType, depth = 0): fc.Arbitrary<unknown> {
  const def = defOf(schema)
  if (depth > 6) return fc.constant(null)
  const inner = (key: string): fc.Arbitrary<unknown> => validFrom(def[key] as z.ZodType, depth + 1)
  switch (def.type) {
    case 'object': {
      const shape = def.shape as Record<string, z.ZodType>
      const required = Object.keys(shape).filter((key) => !['optional', 'default'].includes(defOf(shape[key]!).type))
      return fc.record(
        Object.fromEntries(Object.entries(shape).map(([key, value]) => [key, validFrom(value, depth + 1)])),
        { requiredKeys: required },
      )
    }
    case 'string':
      return stringFrom(def)
    case 'number':
      return numberFrom(def)
    case 'int':
      return fc.integer({ min: -1_000_000, max: 1_000_000 })
    case 'boolean':
      return fc.boolean()
    case 'null':
      return fc.constant(null)
    case 'enum':
      return fc.constantFrom(...Object.values(def.entries as Record<string, string>))
    case 'literal':
      return fc.constantFrom(...(def.values as unknown[]))
    case 'optional':
      return fc.option(inner('innerType'), { nil: undefined })
    case 'nullable':
      return fc.option(inner('innerType'), { nil: null })
    case 'default':
    case 'prefault':
    case 'catch':
    case 'readonly':
      return inner('innerType')
    case 'union':
      return fc.oneof(...(def.options as z.ZodType[]).map((option) => validFrom(option, depth + 1)))
    case 'intersection':
      return fc
        .tuple(inner('left'), inner('right'))
        .map(([left, right]) => ({ ...(left as object), ...(right as object) }))
    case 'array': {
      const checks = checksOf(def)
      const minLength = checks.find((check) => check.check === 'min_length')?.minimum ?? 0
      return fc.array(inner('element'), { minLength, maxLength: Math.max(minLength, 3) })
    }
    case 'record':
      return fc.dictionary(fc.string({ minLength: 1, maxLength: 8 }), inner('valueType'), { maxKeys: 3 })
    case 'pipe':
      // `a.transform(f)` is a pipe into a transform: values come from `a`; `x.pipe(b)` checks them against `b`.
      return defOf(def.out as z.ZodType).type === 'transform' ? inner('in') : inner('out')
    default:
      return fc.jsonValue({ maxDepth: 2 })
  }
}

/** One field made wrong: an edge value, missing, or an extra field beside it. */
function nearMiss(valid: fc.Arbitrary<unknown>): fc.Arbitrary<unknown> {
  return fc
    .tuple(valid, fc.nat(), fc.constantFrom(...EDGE_VALUES), fc.constantFrom('replace', 'drop', 'extra'))
    .map(([value, pick, edge, how]) => {
      if (value === null || typeof value !== 'object' || Array.isArray(value)) return edge
      const copy: Record<string, unknown> = { ...(value as Record<string, unknown>) }
      const keys = Object.keys(copy)
      if (how === 'extra' || keys.length === 0) {
        copy[`extra${pick % 3}`] = edge
        return copy
      }
      const key = keys[pick % keys.length]!
      if (how === 'drop') delete copy[key]
      else copy[key] = edge
      return copy
    })
}

/** Requests for a fuzz suite: valid ones, near misses, edge values and arbitrary JSON. */
export function fuzzFrom(schema: z.ZodType): fc.Arbitrary<unknown> {
  const valid = validFrom(schema)
  return fc.oneof(
    { weight: 2, arbitrary: valid },
    { weight: 4, arbitrary: nearMiss(valid) },
    { weight: 1, arbitrary: fc.constantFrom(...EDGE_VALUES) },
    { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 3 }) },
  )
}
