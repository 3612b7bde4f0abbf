import type { z } from 'zod'
import {
  SandboxPayResponse,
  SandboxPreviewResponse,
  SandboxWallet,
  type SandboxWalletSettings,
} from '../../shared/api/sandbox'
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

async function walletRequest(method: 'GET' | 'POST' | 'PUT', path: string, body?: unknown): Promise<SandboxWallet> {
  let response: Response
  try {
    response = await fetch(`/sandbox/acquirer/wallets/${path}`, {
      method,
      headers: { accept: 'application/json', ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      body: body === undefined ? undefined : JSON.stringify(body),
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
  return SandboxWallet.parse(json)
}

/** The wallet: its tier and limits, its current payment code (a new one once the last expired), charges waiting. */
export const fetchWallet = (walletId: string) => walletRequest('GET', encodeURIComponent(walletId))
/** A fresh payment code now; the one before can no longer be charged. */
export const refreshCode = (walletId: string) => walletRequest('POST', `${encodeURIComponent(walletId)}/code`)
/** The customer's PIN for a charge of their code. */
export const confirmCharge = (walletId: string, chargeNo: string, pin: string) =>
  walletRequest('POST', `${encodeURIComponent(walletId)}/confirm`, { chargeNo, pin })
/** The customer cancels a charge of their code on the phone. */
export const declineCharge = (walletId: string, chargeNo: string) =>
  walletRequest('POST', `${encodeURIComponent(walletId)}/decline`, { chargeNo })
/** The person playing the customer sets the wallet up: its tier, a PIN or none, and how its payments go. */
export const saveWalletSettings = (walletId: string, settings: SandboxWalletSettings) =>
  walletRequest('PUT', encodeURIComponent(walletId), settings)
