import { TuotouError } from '../../shared/errors'

type Details = Record<string, string | number | boolean | null>

/**
 * An error answer with its HTTP status: `{ error: { code, message, details } }`. Codes are dotted by domain
 * (`events.sequence_gap`, `auth.expired`) and stable; messages are English detail for people and logs.
 */
export class ApiError extends TuotouError {
  readonly status: number

  constructor(status: number, code: string, message: string, details: Details = {}) {
    super(code, message, details)
    this.name = 'ApiError'
    this.status = status
  }
}

export const badRequest = (code: string, message: string, details?: Details): ApiError =>
  new ApiError(400, code, message, details)
export const unauthorized = (code: string, message: string, details?: Details): ApiError =>
  new ApiError(401, code, message, details)
export const forbidden = (code: string, message: string, details?: Details): ApiError =>
  new ApiError(403, code, message, details)
export const notFound = (code: string, message: string, details?: Details): ApiError =>
  new ApiError(404, code, message, details)
export const conflict = (code: string, message: string, details?: Details): ApiError =>
  new ApiError(409, code, message, details)
export const unprocessable = (code: string, message: string, details?: Details): ApiError =>
  new ApiError(422, code, message, details)
export const unavailable = (code: string, message: string, details?: Details): ApiError =>
  new ApiError(503, code, message, details)
