import {
  SandboxBehaviour,
  type SandboxBehaviourInput,
  SandboxPayResponse,
  SandboxNotificationsResponse,
  type SandboxNotification,
} from '../../shared/api/sandbox'

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
