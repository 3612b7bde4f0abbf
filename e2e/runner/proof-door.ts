import { expect, type Locator, type Page } from '@playwright/test'
import { DELIVERY_CODE_MAX_ATTEMPTS } from '../../shared/api/proof'
import type { Courier } from '../support/courier'
import type { PlannedProof } from './proof'
import type { StopStep } from './result'

/**
 * The courier giving proof at the door through the terminal's stable hooks (issue 14): the handover
 * (`handover-<kind>`), the delivery code the recipient reads from the sandbox SMS (`proof-code-input`,
 * `proof-code-submit`), a photo with Chromium's fake camera (`proof-photo-take`, the shutter), a signature drawn
 * on the pad (`proof-signature-pad`, `proof-signature-done`) and an override with its reason (`proof-override`).
 * It ends when the terminal says the proof is met (`proof-met`), so the collection can start.
 */
export interface ProofDoor {
  page: Page
  courier: Courier
  /** The backend's base URL now: the sandbox SMS page lives there. */
  backendUrl: () => string
  step(who: StopStep['who'], what: string): void
  see(what: string, timeoutMs: number, check: (timeout: number) => Promise<void>): Promise<void>
}

const TIMEOUT_MS = 10_000
/** A code check is a slow hash on purpose, on a loaded machine; the terminal answers when it is done. */
const CODE_TIMEOUT_MS = 20_000

/** The delivery code sent to the recipient for this attempt, read from the sandbox's SMS as a tester would. */
export async function deliveryCode(backendUrl: string, waybill: string): Promise<string> {
  const answer = await fetch(`${backendUrl}/sandbox/sms/messages?waybill=${encodeURIComponent(waybill)}`)
  if (!answer.ok) throw new Error(`the sandbox SMS page answered ${answer.status}`)
  const { messages } = (await answer.json()) as { messages: { text: string }[] }
  const last = messages[messages.length - 1]
  const code = last ? /签收码 (\d{6})/.exec(last.text)?.[1] : undefined
  if (!code) throw new Error(`no delivery code was sent for ${waybill}`)
  return code
}

/** A code that is not `code`: the next one round, so a wrong try never hits the right one by chance. */
const wrongFor = (code: string): string => String((Number(code) + 1) % 1_000_000).padStart(6, '0')

export async function giveProof(door: ProofDoor, waybill: string, proof: PlannedProof): Promise<void> {
  const { courier } = door
  await door.see('the proof panel', TIMEOUT_MS, (timeout) =>
    expect(courier.byId('proof-panel')).toBeVisible({ timeout }),
  )
  if (proof.handover !== 'recipient') {
    await courier.tap(`handover-${proof.handover}`)
    door.step('courier', `hands the parcel over: ${proof.handover}`)
    await door.see(`the handover ${proof.handover} chosen`, TIMEOUT_MS, (timeout) =>
      expect(courier.byId('proof-panel')).toHaveAttribute('data-handover', proof.handover, { timeout }),
    )
  }
  if (proof.code) await typeCode(door, waybill, proof.code)
  if (proof.photo) await takePhoto(door)
  if (proof.signature) await sign(door, waybill)
  if (proof.override) {
    await courier.tap('proof-override')
    await courier.tap(`proof-override-${proof.override}`)
    if (proof.note) await courier.type('proof-override-note', proof.note)
    await courier.tap('proof-override-confirm')
    door.step('courier', `overrides the proof: ${proof.override}${proof.note ? ` (${proof.note})` : ''}`)
  }
  await door.see('the terminal saying the proof is met', TIMEOUT_MS, (timeout) =>
    expect(courier.byId('proof-met')).toBeVisible({ timeout }),
  )
  door.step('terminal', proof.override ? 'proof overridden' : 'proof met')
}

async function typeCode(door: ProofDoor, waybill: string, typing: NonNullable<PlannedProof['code']>): Promise<void> {
  const { courier } = door
  const code = await deliveryCode(door.backendUrl(), waybill)
  door.step('customer', `reads the delivery code from the SMS: ${code.slice(0, 1)}•••••`)
  const tries = courier.byId('proof-code-tries')
  const attempt = async (digits: string, left: number, last: 'wrong' | 'right'): Promise<void> => {
    await courier.type('proof-code-input', digits)
    await courier.tap('proof-code-submit')
    door.step('courier', `types the code ${last === 'right' ? 'right' : 'wrong'}`)
    if (last === 'right') {
      await door.see('the code accepted', CODE_TIMEOUT_MS, (timeout) =>
        expect(courier.byId('proof-code-input')).toBeHidden({ timeout }),
      )
      return
    }
    await door.see(`the wrong code refused (${left} tries left)`, CODE_TIMEOUT_MS, async (timeout) => {
      await expect(tries).toHaveAttribute('data-last', 'wrong', { timeout })
      await expect(tries).toHaveAttribute('data-left', String(left), { timeout })
    })
  }
  const wrong = wrongFor(code)
  if (typing === 'right') return attempt(code, DELIVERY_CODE_MAX_ATTEMPTS - 1, 'right')
  if (typing === 'wrong-then-right') {
    await attempt(wrong, DELIVERY_CODE_MAX_ATTEMPTS - 1, 'wrong')
    return attempt(code, DELIVERY_CODE_MAX_ATTEMPTS - 2, 'right')
  }
  for (let left = DELIVERY_CODE_MAX_ATTEMPTS - 1; left >= 0; left--) await attempt(wrong, left, 'wrong')
  await door.see('the code locked', TIMEOUT_MS, (timeout) =>
    expect(courier.byId('proof-code-submit')).toBeDisabled({ timeout }),
  )
  door.step('terminal', 'no tries left at the code')
}

async function takePhoto(door: ProofDoor): Promise<void> {
  const { courier, page } = door
  await courier.tap('proof-photo-take')
  await door.see('the camera', TIMEOUT_MS, (timeout) =>
    expect(courier.byId('proof-photo-camera')).toBeVisible({ timeout }),
  )
  // The fake camera's frames are playing before the shutter is pressed (page code as a string, as the specs do).
  await door.see("the camera's picture", TIMEOUT_MS, (timeout) =>
    expect
      .poll(
        () =>
          page.evaluate<number>(`document.querySelector('[data-testid="proof-photo-camera"] video')?.videoWidth ?? 0`),
        { timeout },
      )
      .toBeGreaterThan(0),
  )
  await courier.tap('proof-photo-shutter')
  door.step('courier', 'takes a photo')
  await door.see('the photo stored', TIMEOUT_MS, async (timeout) => {
    await expect(courier.byId('proof-photo-camera')).toBeHidden({ timeout })
    await expect(courier.byId('proof-photo-take')).toHaveAttribute('data-taken', 'yes', { timeout })
  })
}

/** Two strokes across the pad, as a recipient's finger would; each recipient (`hand`) signs a little differently. */
async function drawSignature(page: Page, pad: Locator, hand: number): Promise<void> {
  const box = (await pad.boundingBox())!
  const lean = ((hand * 37) % 11) / 100
  for (const [dx, dy] of [
    [0.15, 0.55 - lean],
    [0.5, 0.35 + lean],
  ] as const) {
    await page.mouse.move(box.x + box.width * dx, box.y + box.height * dy)
    await page.mouse.down()
    for (let i = 1; i <= 8; i++) {
      await page.mouse.move(
        box.x + box.width * (dx + i * 0.04),
        box.y + box.height * (dy + Math.sin(i + hand) * (0.08 + lean)),
      )
    }
    await page.mouse.up()
  }
}

async function sign(door: ProofDoor, waybill: string): Promise<void> {
  const { courier, page } = door
  await courier.tap('proof-signature-open')
  const pad = courier.byId('proof-signature-pad')
  await door.see('the signature pad', TIMEOUT_MS, (timeout) =>
    expect(courier.byId('proof-signature-sheet')).toBeInViewport({ ratio: 1, timeout }),
  )
  await drawSignature(page, pad, Number(waybill.slice(-4)))
  await door.see('the strokes on the pad', TIMEOUT_MS, (timeout) =>
    expect(pad).toHaveAttribute('data-strokes', '2', { timeout }),
  )
  door.step('customer', 'signs on the pad')
  await courier.tap('proof-signature-done')
  await door.see('the signature stored', TIMEOUT_MS, async (timeout) => {
    await expect(courier.byId('proof-signature-sheet')).toBeHidden({ timeout })
    await expect(courier.byId('proof-signature-open')).toHaveAttribute('data-signed', 'yes', { timeout })
  })
}
