import {
  SandboxBehaviour,
  type SandboxBehaviourInput,
  SandboxPayResponse,
  SandboxNotificationsResponse,
  type SandboxNotification,
  SandboxWallet,
  SandboxWalletSettings,
} from '../../shared/api/sandbox'
import type { z } from 'zod'

type SandboxWalletSettingsInput = z.input<typeof SandboxWalletSettings>

/**
 * The customer's side, through the sandbox acquirer's own API (the wallet page calls the same): pay a QR,
 * change how the acquirer notifies, and watch its notifications go out.
 */
export async function payQr(
  backendUrl: string,
  qrPayload: string,
  walletId = 'wallet-e2e',
): Promise<SandboxPayResponse> {
  const res = await fetch(`${backendUrl}/sandbox/acquirer/pay`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ qrPayload, walletId }),
  })
  const body: unknown = await res.json()
  if (!res.ok) throw new Error(`the sandbox refused the payment (${res.status}): ${JSON.stringify(body)}`)
  return SandboxPayResponse.parse(body)
}

export async function setBehaviour(backendUrl: string, behaviour: Partial<SandboxBehaviourInput>): Promise<void> {
  const full = SandboxBehaviour.parse({
    notifyDelayMs: 0,
    duplicates: 0,
    outOfOrder: false,
    holdNotifications: false,
    ...behaviour,
  })
  const res = await fetch(`${backendUrl}/sandbox/acquirer/behaviour`, {
    method: 'PUT',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(full),
  })
  if (!res.ok) throw new Error(`the sandbox refused the behaviour (${res.status}): ${await res.text()}`)
}

export async function notifications(backendUrl: string): Promise<SandboxNotification[]> {
  const res = await fetch(`${backendUrl}/sandbox/acquirer/notifications`)
  return SandboxNotificationsResponse.parse(await res.json()).notifications
}

async function walletCall(
  backendUrl: string,
  method: 'GET' | 'PUT' | 'POST',
  path: string,
  body?: unknown,
): Promise<SandboxWallet> {
  const res = await fetch(`${backendUrl}/sandbox/acquirer/wallets/${path}`, {
    method,
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  })
  const answer: unknown = await res.json()
  if (!res.ok)
    throw new Error(`the sandbox wallet refused ${method} ${path} (${res.status}): ${JSON.stringify(answer)}`)
  return SandboxWallet.parse(answer)
}

/**
 * Sets up the customer's wallet (tier, PIN, how long they take, a failure) and answers it with its current payment
 * code (付款码), as its page shows it: single-use, replaced every 60 s.
 */
export async function setWallet(
  backendUrl: string,
  walletId: string,
  settings: Partial<SandboxWalletSettingsInput> = {},
): Promise<SandboxWallet> {
  return walletCall(backendUrl, 'PUT', walletId, SandboxWalletSettings.parse(settings))
}

export async function wallet(backendUrl: string, walletId: string): Promise<SandboxWallet> {
  return walletCall(backendUrl, 'GET', walletId)
}

/** The customer types their PIN on the phone for the charge of their code that is waiting for it. */
export async function typeWalletPin(backendUrl: string, walletId: string, pin: string): Promise<SandboxWallet> {
  const waiting = (await wallet(backendUrl, walletId)).pending[0]
  if (!waiting) throw new Error(`no charge of ${walletId}'s code is waiting for the PIN`)
  return walletCall(backendUrl, 'POST', `${walletId}/confirm`, { chargeNo: waiting.chargeNo, pin })
}
