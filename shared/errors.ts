import { z } from 'zod'

/**
 * An error every part of the app can carry across a boundary (IPC, HTTP) without losing its meaning.
 * `code` is stable and dotted by domain (`ipc.bad_request`, `scan.not_on_manifest`); the UI translates it
 * through `errors.<code>` and fills the message from `details`. `message` is an English detail for logs.
 */
export class TuotouError extends Error {
  readonly code: string
  readonly details: Record<string, string | number | boolean | null>

  constructor(code: string, message: string, details: Record<string, string | number | boolean | null> = {}) {
    super(message)
    this.name = 'TuotouError'
    this.code = code
    this.details = details
  }

  toBody(): ErrorBody {
    return { code: this.code, message: this.message, details: this.details }
  }
}

export const ErrorBody = z.object({
  code: z.string().min(1),
  message: z.string(),
  details: z.record(z.string(), z.union([z.string(), z.number(), z.boolean(), z.null()])).default({}),
})
export type ErrorBody = z.infer<typeof ErrorBody>

/** Turns a zod failure into one readable line per problem: `field.path: what is wrong`. */
export function describeIssues(error: z.ZodError): string {
  return error.issues
    .map((issue) => `${issue.path.length > 0 ? issue.path.join('.') : '(root)'}: ${issue.message}`)
    .join('; ')
}

/** Normalises anything thrown into an error body, keeping a TuotouError's code. */
export function toErrorBody(error: unknown): ErrorBody {
  if (error instanceof TuotouError) return error.toBody()
  const message = error instanceof Error ? error.message : String(error)
  return { code: 'internal', message, details: {} }
}
