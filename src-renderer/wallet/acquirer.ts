import type { z } from 'zod'
import { SandboxPayResponse, SandboxPreviewResponse } from '../../shared/api/sandbox'
import { ErrorBody } from '../../shared/errors'

/** A refusal from the acquirer, with its stable code for the translated message. */
export class WalletError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message)
  }
}

/** The wallet talks only to the acquirer that served it, on the same origin. */
async function post<S extends z.ZodType>(path: string, body: unknown, schema: S): Promise<z.output<S>> {
  let response: Response
  try {
    response = await fetch(path, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json' },
      body: JSON.stringify(body),
    })
  } catch (error) {
    throw new WalletError('network', error instanceof Error ? error.message : String(error))
  }
  const json: unknown = await response.json().catch(() => null)
  if (!response.ok) {
    const error = ErrorBody.safeParse((json as { error?: unknown } | null)?.error)
    throw new WalletError(
      error.success ? error.data.code : 'other',
      error.success ? error.data.message : `HTTP ${response.status}`,
    )
  }
  return schema.parse(json)
}

export const previewPayment = (qrPayload: string) =>
  post('/sandbox/acquirer/preview', { qrPayload }, SandboxPreviewResponse)

export const payPayment = (qrPayload: string, walletId: string) =>
  post('/sandbox/acquirer/pay', { qrPayload, walletId }, SandboxPayResponse)
