import { SandboxPayResponse } from '../../shared/api/sandbox'
import { sleep } from './lifecycle'

/** The acquirer's answer to the customer's wallet: paid (with the receipt), or refused and why. */
export type WalletAnswer = { paid: SandboxPayResponse } | { refused: string }

/**
 * The customer's phone paying a collection QR through the sandbox acquirer's wallet API, over its own
 * connection (never the terminal's). A phone retries while its network or the acquirer is unreachable, as
 * during a backend restart, for up to `patienceMs`; a refusal (already paid, cancelled, expired) is an answer.
 */
export async function walletPays(
  acquirerUrl: () => string,
  qrPayload: string,
  patienceMs = 60_000,
): Promise<WalletAnswer> {
  const deadline = Date.now() + patienceMs
  for (;;) {
    let response: Response
    try {
      response = await fetch(`${acquirerUrl()}/sandbox/acquirer/pay`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ qrPayload, walletId: 'wallet-round' }),
        signal: AbortSignal.timeout(10_000),
      })
    } catch (error) {
      if (Date.now() >= deadline) {
        throw new Error(`the customer's wallet could not reach the acquirer: ${(error as Error).message}`, {
          cause: error,
        })
      }
      await sleep(500)
      continue
    }
    const body: unknown = await response.json().catch(() => null)
    if (response.ok) return { paid: SandboxPayResponse.parse(body) }
    if (response.status >= 500 && Date.now() < deadline) {
      await sleep(500)
      continue
    }
    const code = (body as { error?: { code?: string } } | null)?.error?.code
    return { refused: code ?? `HTTP ${response.status}` }
  }
}
