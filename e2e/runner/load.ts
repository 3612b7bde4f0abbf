import { readFileSync } from 'node:fs'
import { isMap, isPair, isScalar, LineCounter, parseDocument, type Document, type Node } from 'yaml'
import type { z } from 'zod'
import { planRound, type FieldPath, type Plan, type RoundDraft } from './plan'
import { BackendEvent, CoverageEvent, RoundFile, StopEntry, TerminalEvent } from './schema'

/** One thing wrong with a round file, where the tester will find it. */
export interface RoundFileError {
  line: number
  column: number
  /** The field, as a path: `stops[3].action`, `coverage[0].offline.to`; empty for the whole file. */
  field: string
  message: string
}

export type LoadedRound = { ok: true; plan: Plan } | { ok: false; errors: RoundFileError[] }

/** `['stops', 3, 'action']` → `stops[3].action`. */
export function fieldName(path: readonly PropertyKey[]): string {
  return path
    .map((part, i) => (typeof part === 'number' ? `[${part}]` : `${i === 0 ? '' : '.'}${String(part)}`))
    .join('')
}

/** Where a path points in the document: the node itself, or the nearest map or list around a missing key. */
function positionOf(doc: Document, lines: LineCounter, path: readonly PropertyKey[], key?: string) {
  for (let depth = path.length; depth >= 0; depth--) {
    const node = path.length === 0 && depth === 0 ? doc.contents : doc.getIn(path.slice(0, depth) as unknown[], true)
    if (node === undefined || node === null || typeof node !== 'object' || !('range' in node)) continue
    const found = node as Node
    // An unknown key points at the key itself rather than the map holding it.
    if (key !== undefined && depth === path.length && isMap(found)) {
      const pair = found.items.find((item) => isPair(item) && isScalar(item.key) && item.key.value === key)
      if (pair && isScalar(pair.key) && pair.key.range) return lines.linePos(pair.key.range[0])
    }
    if (found.range) return lines.linePos(found.range[0])
  }
  return { line: 1, col: 1 }
}

function issuesToErrors(doc: Document, lines: LineCounter, issues: z.core.$ZodIssue[]): RoundFileError[] {
  const errors: RoundFileError[] = []
  for (const issue of issues) {
    if (issue.code === 'unrecognized_keys') {
      for (const key of issue.keys) {
        const at = positionOf(doc, lines, issue.path, key)
        errors.push({
          line: at.line,
          column: at.col,
          field: fieldName([...issue.path, key]),
          message: `"${key}" is not a field here${knownFields(issue.path)}`,
        })
      }
      continue
    }
    if (issue.code === 'invalid_union') {
      // Each branch failed. A branch that knew every key it was given is the one the tester meant: report its
      // errors, which name the field. Otherwise the union's own message says which shapes are allowed.
      const meant = issue.errors
        .filter((branch) => branch.length > 0 && !branch.some((inner) => inner.code === 'unrecognized_keys'))
        .sort((a, b) => depthOf(b) - depthOf(a))[0]
      if (meant) {
        errors.push(
          ...issuesToErrors(
            doc,
            lines,
            meant.map((inner) => ({ ...inner, path: [...issue.path, ...inner.path] })),
          ),
        )
        continue
      }
    }
    const at = positionOf(doc, lines, issue.path)
    errors.push({ line: at.line, column: at.col, field: fieldName(issue.path), message: issue.message })
  }
  return errors
}

const depthOf = (issues: z.core.$ZodIssue[]): number => Math.max(0, ...issues.map((issue) => issue.path.length))

/** The fields a tester may write at a path, to put beside "not a field here". */
function knownFields(path: readonly PropertyKey[]): string {
  const shapes: Record<string, readonly string[]> = {
    '': Object.keys(RoundFile.shape),
    stops: Object.keys(StopEntry.shape),
    generate: ['stops', 'cod', 'digital', 'multiParcel', 'failed', 'cashShort'],
    courier: ['staffId', 'pin', 'name'],
    acquirer: ['delay', 'duplicates', 'outOfOrder'],
    expect: ['digital', 'cash', 'prepaid', 'failed', 'flags', 'toBeVerified', 'syncedExactlyOnce'],
  }
  const top = typeof path[0] === 'string' ? path[0] : ''
  const fields = path.length === 0 ? shapes[''] : path.length <= 2 ? shapes[top] : undefined
  return fields ? `; use ${fields.join(', ')}` : ''
}

/**
 * Reads a round from YAML text: YAML errors, then every schema error, then every whole-round error, each with
 * its line, column and field. A round is returned only when there is none.
 */
export function parseRound(text: string): LoadedRound {
  const lines = new LineCounter()
  const doc = parseDocument(text, { lineCounter: lines, uniqueKeys: true })
  if (doc.errors.length > 0) {
    return {
      ok: false,
      errors: doc.errors.map((error) => ({
        line: error.linePos?.[0].line ?? 1,
        column: error.linePos?.[0].col ?? 1,
        field: '',
        message: `YAML: ${error.message.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, '')}`,
      })),
    }
  }
  const raw: unknown = doc.toJS()
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
    return {
      ok: false,
      errors: [{ line: 1, column: 1, field: '', message: 'a round file is a YAML map: round, courier, stops, …' }],
    }
  }
  const parsed = RoundFile.safeParse(raw)
  if (parsed.success) {
    const planned = planRound(parsed.data)
    if (planned.plan) return { ok: true, plan: planned.plan }
    return { ok: false, errors: sorted(planIssues(doc, lines, planned.issues)) }
  }
  const errors = issuesToErrors(doc, lines, parsed.error.issues)
  const draft = salvage(raw as Record<string, unknown>)
  if (draft) errors.push(...planIssues(doc, lines, planRound(draft).issues))
  return { ok: false, errors: sorted(dedupe(errors)) }
}

function planIssues(doc: Document, lines: LineCounter, issues: { path: FieldPath; message: string }[]) {
  return issues.map((issue) => {
    const at = positionOf(doc, lines, issue.path)
    return { line: at.line, column: at.col, field: fieldName(issue.path), message: issue.message }
  })
}

/**
 * What of a file that failed the schema can still be checked as a whole round: every part that parsed, with
 * `null` for each stop or event that did not, so their neighbours' checks still run.
 */
function salvage(raw: Record<string, unknown>): RoundDraft | null {
  const broken = new Set<string>()
  const part = <T extends z.ZodType>(key: string, schema: T, fallback: z.output<T>): z.output<T> => {
    const result = schema.safeParse(raw[key])
    if (result.success) return result.data
    broken.add(key)
    return fallback
  }
  const list = <T extends z.ZodType>(key: string, schema: T): (z.output<T> | null)[] => {
    const value = raw[key]
    if (value === undefined) return []
    if (!Array.isArray(value)) {
      broken.add(key)
      return []
    }
    return value.map((item) => {
      const result = schema.safeParse(item)
      return result.success ? result.data : null
    })
  }
  const shape = RoundFile.shape
  const round = shape.round.safeParse(raw.round)
  return {
    round: round.success ? round.data : 'round',
    courier: part('courier', shape.courier, { staffId: 'SZ2001', pin: '1234', name: '李强' }),
    seed: part('seed', shape.seed, undefined),
    patience: part('patience', shape.patience, 12_000),
    acquirer: part('acquirer', shape.acquirer, {
      delay: 0,
      duplicates: 0,
      outOfOrder: false,
      queryDelay: 0,
      chargeQueryFor: 60_000,
    }),
    unverifiedLimit: part('unverifiedLimit', shape.unverifiedLimit, undefined),
    proofRules: part('proofRules', shape.proofRules, undefined),
    stops:
      raw.stops === undefined
        ? undefined
        : list('stops', StopEntry).map((stop, i) => stop ?? salvageStop(raw.stops, i)),
    generate: part('generate', shape.generate, undefined),
    coverage: list('coverage', CoverageEvent),
    backend: list('backend', BackendEvent),
    terminal: list('terminal', TerminalEvent),
    expect: part('expect', shape.expect, { syncedExactlyOnce: true }),
    broken,
  }
}

/**
 * A stop that failed the schema, kept for the whole-round checks if its amount and action are readable: the
 * fields that failed are left out (their errors are already reported), so a bad waybill does not hide that a
 * prepaid stop has money due.
 */
function salvageStop(stops: unknown, i: number): StopEntry | null {
  const raw = (stops as unknown[])[i]
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) return null
  const fields: Record<string, unknown> = {}
  for (const [key, schema] of Object.entries(StopEntry.shape)) {
    const result = (schema as z.ZodType).safeParse((raw as Record<string, unknown>)[key])
    if (result.success) fields[key] = result.data
  }
  return fields.cod === undefined || fields.action === undefined ? null : (fields as StopEntry)
}

function dedupe(errors: RoundFileError[]): RoundFileError[] {
  const seen = new Set<string>()
  return errors.filter((error) => {
    const key = `${error.line}:${error.column}:${error.field}:${error.message}`
    if (seen.has(key)) return false
    seen.add(key)
    return true
  })
}

const sorted = (errors: RoundFileError[]): RoundFileError[] =>
  [...errors].sort((a, b) => a.line - b.line || a.column - b.column)

/** Reads a round file from disk; a missing or unreadable file is one error like any other. */
export function loadRoundFile(path: string): LoadedRound {
  let text: string
  try {
    text = readFileSync(path, 'utf8')
  } catch (error) {
    const reason = (error as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (error as Error).message
    return { ok: false, errors: [{ line: 0, column: 0, field: '', message: `cannot read ${path}: ${reason}` }] }
  }
  return parseRound(text)
}

/** `round.yaml:12:7 stops[3].action: "dgital" is not a courier action; …`, one per error. */
export function formatErrors(file: string, errors: RoundFileError[]): string {
  return errors
    .map((error) =>
      error.line === 0
        ? error.message
        : `${file}:${error.line}:${error.column} ${error.field ? `${error.field}: ` : ''}${error.message}`,
    )
    .join('\n')
}
