import { ApiErrorResponse } from '../../shared/api/common'

/** Sent text shorter than this may appear in an answer by coincidence ("internal", an enum value). */
export const ECHO_MIN_LENGTH = 12

/** What a stack trace, a source path or a driver's raw error looks like in an answer. */
const LEAKS = [
  /\bat .+:\d+:\d+/, // a stack frame
  /node_modules|\/backend\/|\/shared\/|file:\/\//,
  /\b(Sqlite|Postgres|Syntax|Type|Range|Reference)Error\b/,
  /SQLITE_|FST_ERR_/,
]

/**
 * What is wrong with a backend answer as an attacker or a fuzzer sees it, or nothing: a 5xx; an error that is
 * not exactly `{ error: { code, message, details? } }`; a stack trace or source path; a piece of what was sent
 * (path, query, body strings, headers) echoed back. `sent` lists the request's strings; only those of
 * `ECHO_MIN_LENGTH` characters or more count.
 */
export function answerProblems(status: number, text: string, sent: readonly string[] = []): string[] {
  const problems: string[] = []
  if (status >= 500) problems.push(`answered ${status}`)
  if (status >= 400) {
    let json: unknown
    try {
      json = JSON.parse(text)
    } catch {
      problems.push('the error is not JSON')
    }
    if (json !== undefined) {
      const shape = ApiErrorResponse.strict().safeParse(json)
      const inner =
        shape.success && typeof json === 'object' && json !== null
          ? Object.keys((json as { error: object }).error).filter(
              (key) => !['code', 'message', 'details'].includes(key),
            )
          : []
      if (!shape.success) problems.push(`the error is not {error: {code, message, details?}}: ${text.slice(0, 200)}`)
      else if (inner.length > 0) problems.push(`the error carries more than code, message, details: ${inner.join()}`)
    }
  }
  for (const leak of LEAKS) if (leak.test(text)) problems.push(`the answer leaks ${leak}: ${text.slice(0, 200)}`)
  if (status >= 400) {
    for (const piece of new Set(sent)) {
      if (piece.length >= ECHO_MIN_LENGTH && text.includes(piece)) {
        problems.push(`the answer echoes what was sent: ${JSON.stringify(piece.slice(0, 60))}`)
      }
    }
  }
  return problems
}

/** Every string inside a JSON value, keys included: what an answer must not echo. */
export function stringsIn(value: unknown, out: string[] = []): string[] {
  if (typeof value === 'string') out.push(value)
  else if (Array.isArray(value)) for (const item of value) stringsIn(item, out)
  else if (value !== null && typeof value === 'object') {
    for (const [key, item] of Object.entries(value)) {
      out.push(key)
      stringsIn(item, out)
    }
  }
  return out
}
