import { z } from 'zod'
import { ErrorBody } from '../errors'

/** Every backend error answer: `{ "error": { "code", "message", "details" } }` with a 4xx or 5xx status. */
export const ApiErrorResponse = z.object({ error: ErrorBody })
export type ApiErrorResponse = z.infer<typeof ApiErrorResponse>

/** The backend API's version prefix. */
export const API_PREFIX = '/api/v1'
