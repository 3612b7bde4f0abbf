import { expect, type Page } from '@playwright/test'
import { decodeCollectionQr } from '../../shared/emv/collection-qr'
import { formatFen } from '../../shared/money'
import { parcelBarcode } from '../../shared/waybill'
import type { Courier } from '../support/courier'
import { setWallet, typeWalletPin } from '../support/sandbox'
import { walletPays, type WalletAnswer } from './customer'
import { sleep } from './lifecycle'
import type { PlannedStop } from './plan'
import { giveProof } from './proof-door'
import type { StopResult, StopStep } from './result'

/** Something at a stop did not go as the round planned; its message is the stop's reason in the report. */
export class StopProblem extends Error {}

/** The performance entries the terminal records (`src-renderer/terminal/perf.ts`), read back by name. */
const PERF = { scanToCard: 'tt:scan-to-card', tapToQr: 'tt:tap-to-qr', paidVisible: 'tt:paid-visible' } as const

interface PerfSnapshot {
  scanToCard: number[]
  tapToQr: number[]
  paid: { intentId: string; wallClock: number }[]
}

async function perfSnapshot(page: Page): Promise<PerfSnapshot> {
  // No named functions inside: tsx's name-keeping helper does not exist in the page.
  return page.evaluate(
    (names) => ({
      scanToCard: performance.getEntriesByName(names.scanToCard).map((entry) => entry.duration),
      tapToQr: performance.getEntriesByName(names.tapToQr).map((entry) => entry.duration),
      paid: performance
        .getEntriesByName(names.paidVisible)
        .map((entry) => (entry as unknown as { detail: { intentId: string; wallClock: number } }).detail),
    }),
    PERF,
  )
}

/** The DOM as far as the runner reads it in one round trip (this runs in the page; no DOM types here). */
interface ScreenDocument {
  querySelector(selector: string): { getAttribute(name: string): string | null; textContent: string | null } | null
}

/** What the terminal shows right now: the payment state, the "delivered" banner, a refused scan, by `data-testid`. */
async function readScreen(page: Page): Promise<{ state: string | null; done: string; refusal: string | null }> {
  return page.evaluate(() => {
    const doc = (globalThis as unknown as { document: ScreenDocument }).document
    return {
      state: doc.querySelector('[data-testid="payment-status"]')?.getAttribute('data-state') ?? null,
      done: doc.querySelector('[data-testid="delivery-done"]')?.textContent ?? '',
      refusal: doc.querySelector('[data-testid="scan-refusal"]')?.textContent ?? null,
    }
  })
}

export interface DoorstepContext {
  page: Page
  courier: Courier
  /** The acquirer's base URL now (the backend may have restarted). */
  acquirerUrl: () => string
  /** Milliseconds since the round started. */
  now: () => number
  /** Divides the people's waits: the customer's delays and the courier's patience. */
  speed: number
  patienceMs: number
  /** Extra time to wait for "paid" beyond the acquirer's configured delay. */
  paidTimeoutMs: number
  /** The next stop's first parcel, for a stray scan at this door. */
  nextBarcode: string | null
  /** How long the backend queries a charge of the customer's code before it revokes it. */
  chargeQueryForMs: number
}

const CARD_TIMEOUT_MS = 10_000
const QR_TIMEOUT_MS = 10_000
const DONE_TIMEOUT_MS = 10_000
/** The terminal notices lost coverage on its next exchange or health probe; that can take a few seconds. */
const UNVERIFIED_OFFER_TIMEOUT_MS = 20_000

/**
 * Plays one door: the courier's scans and taps through `data-testid` hooks, and the customer's phone through
 * the acquirer's wallet API. Everything the courier and the customer did, and what the terminal showed, goes
 * into the stop's steps; anything that did not go as planned throws a `StopProblem`.
 */
export class Doorstep {
  private perfBefore: PerfSnapshot = { scanToCard: [], tapToQr: [], paid: [] }
  private intentId: string | null = null
  private qrPayload: string | null = null
  private actionsBefore = 0

  constructor(
    private readonly ctx: DoorstepContext,
    private readonly stop: PlannedStop,
    readonly result: StopResult,
  ) {}

  private step(who: StopStep['who'], what: string): void {
    this.result.steps.push({ atMs: this.ctx.now(), who, what })
  }

  private byId(testId: string) {
    return this.ctx.page.getByTestId(testId)
  }

  /** Runs an assertion; its failure becomes the stop's reason, said plainly. */
  private async see(what: string, timeoutMs: number, check: (timeout: number) => Promise<void>): Promise<void> {
    try {
      await check(timeoutMs)
    } catch {
      const refusal = this.byId('scan-refusal')
      const refused = (await refusal.isVisible()) ? ` (the terminal says: ${await refusal.innerText()})` : ''
      const error = this.byId('action-error')
      const failed = (await error.isVisible()) ? ` (the terminal says: ${await error.innerText()})` : ''
      throw new StopProblem(`${what} did not happen within ${timeoutMs / 1000} s${refused}${failed}`)
    }
  }

  async play(): Promise<void> {
    this.perfBefore = await perfSnapshot(this.ctx.page)
    this.actionsBefore = this.ctx.courier.actions.length
    try {
      await this.scanParcels()
      if (this.stop.proof) {
        await giveProof(
          {
            page: this.ctx.page,
            courier: this.ctx.courier,
            backendUrl: this.ctx.acquirerUrl,
            step: (who, what) => this.step(who, what),
            see: (what, timeoutMs, check) => this.see(what, timeoutMs, check),
          },
          this.stop.waybill,
          this.stop.proof,
        )
      }
      await this.collect()
    } finally {
      this.result.actions = this.ctx.courier.actions.slice(this.actionsBefore)
      await this.readFigures().catch(() => undefined)
    }
  }

  private async scanParcels(): Promise<void> {
    const { stop } = this
    for (let p = 1; p <= stop.parcels; p++) {
      const barcode = parcelBarcode(stop.waybill, p, stop.parcels)
      await this.ctx.courier.scan(barcode)
      this.step('courier', `scans ${barcode}`)
      if (stop.action.kind === 'prepaid' && p === stop.parcels) {
        await this.see(`the prepaid order ${stop.waybill} completing on the scan`, DONE_TIMEOUT_MS, (timeout) =>
          expect(this.byId('delivery-done')).toContainText(stop.waybill, { timeout }),
        )
        this.step('terminal', 'delivered, prepaid')
        return
      }
      await this.see(`the order card for ${stop.waybill}`, CARD_TIMEOUT_MS, async (timeout) => {
        await expect(this.byId('order-card')).toContainText(stop.waybill, { timeout })
        await expect(this.byId('order-parcels')).toHaveAttribute('data-scanned', String(p), { timeout })
      })
      this.step('terminal', stop.parcels > 1 ? `order card, ${p} of ${stop.parcels} parcels scanned` : 'order card')
    }
  }

  private async collect(): Promise<void> {
    const { action } = this.stop
    switch (action.kind) {
      case 'prepaid':
        return
      case 'fail':
        await this.ctx.courier.tap('pay-failed')
        this.step('courier', 'taps "failed delivery"')
        await this.ctx.courier.tap(`fail-${action.reason}`)
        this.step('courier', `taps the reason: ${action.reason}`)
        // The banner names the reason rather than the waybill; it only shows once the failure is recorded.
        await this.see('the failure recorded', DONE_TIMEOUT_MS, (timeout) =>
          expect(this.byId('delivery-done')).toBeVisible({ timeout }),
        )
        this.step('terminal', 'failure recorded, back at scan')
        return
      case 'cash':
        await this.ctx.courier.tap('pay-cash')
        this.step('courier', 'taps "cash"')
        await this.takeCash(this.stop.codFen)
        return
      case 'cash-short':
        await this.ctx.courier.tap('pay-cash')
        this.step('courier', 'taps "cash"')
        await this.takeCash(this.stop.takenFen ?? this.stop.codFen)
        return
      case 'digital':
        await this.showQr()
        await this.customerAtTheDoor()
        return
      case 'to-be-verified':
        await this.showQr()
        await this.recordUnverified()
        return
      case 'charge':
        await this.chargeCustomerCode()
        return
      case 'split':
        await this.ctx.courier.tap('pay-split')
        this.step('courier', 'taps "split"')
        await this.splitPayment()
        return
    }
  }

  /**
   * A split payment on the split screen: the digital part typed (or, after a refusal on the wallet's limit, the
   * limit the terminal suggests, checked), its QR paid by the customer's wallet or its code charged, then the cash
   * rest taken with one tap. Needs coverage: the part has an intent of its own.
   */
  private async splitPayment(): Promise<void> {
    const split = this.stop.split
    if (!split) throw new StopProblem('the round planned no split here')
    const input = this.byId('split-digital-input')
    await this.see('the split screen', DONE_TIMEOUT_MS, (timeout) => expect(input).toBeVisible({ timeout }))
    const typed = (split.digitalFen / 100).toFixed(2)
    if ((await input.inputValue()) !== typed) {
      await this.ctx.courier.type('split-digital-input', typed)
      this.step('courier', `types the digital part ${formatFen(split.digitalFen)}`)
    } else {
      this.step('terminal', `suggests the digital part ${formatFen(split.digitalFen)} (the wallet's limit)`)
    }
    await this.ctx.courier.tap('split-confirm')
    this.step('courier', `taps "QR for ${formatFen(split.digitalFen)}"`)
    const status = this.byId('split-status')
    await this.see('the split waiting for its digital part', QR_TIMEOUT_MS, (timeout) =>
      expect(status).toHaveAttribute('data-state', 'digital_pending', { timeout }),
    )
    this.result.paymentStates.push('split:digital_pending')
    if (split.pays === 'qr') {
      let payload: string
      try {
        payload = await this.ctx.courier.readPaymentQr()
      } catch (error) {
        throw new StopProblem(`the part's QR could not be read: ${(error as Error).message.split('\n')[0]}`)
      }
      const fields = decodeCollectionQr(payload)
      if (fields.amountFen !== split.digitalFen || fields.waybill !== this.stop.waybill) {
        throw new StopProblem(
          `the part's QR asks ${formatFen(fields.amountFen)} for ${fields.waybill}, not ${formatFen(split.digitalFen)}`,
        )
      }
      this.intentId = fields.intentId
      this.qrPayload = payload
      this.step('terminal', `part QR shown: ${formatFen(fields.amountFen)}`)
      const answer = await this.customerPays()
      if ('refused' in answer) throw new StopProblem(`the acquirer refused the part's payment: ${answer.refused}`)
    } else {
      const shown = await setWallet(this.ctx.acquirerUrl(), `round-stop-${this.stop.n}-part`, {})
      this.step('customer', 'shows the payment code of a wallet that takes the part')
      await this.ctx.courier.scan(shown.paymentCode.code)
      this.step('courier', "scans the customer's payment code for the part")
    }
    await this.see('the digital part paid, the cash rest to take', this.ctx.paidTimeoutMs, (timeout) =>
      expect(status).toHaveAttribute('data-state', 'cash_pending', { timeout }),
    )
    this.result.paymentStates.push('split:cash_pending')
    this.step('terminal', `digital part paid: take ${formatFen(this.stop.codFen - split.digitalFen)} in cash`)
    await this.ctx.courier.tap('split-cash-exact')
    this.step('courier', `taps "cash taken ${formatFen(this.stop.codFen - split.digitalFen)}"`)
    await this.awaitDone('the split delivery')
    this.step('terminal', 'delivered: two collections')
  }

  /**
   * The customer opens their wallet's payment code (付款码) and the courier scans it with the wedge while the card
   * is open. The wallet may ask for the PIN (the runner types it on the wallet, as the customer would), take a
   * while, never confirm or refuse; the terminal must say each in words (`charge-status`) and end where the plan
   * says. Anything but "paid" ends with the courier taking cash.
   */
  private async chargeCustomerCode(): Promise<void> {
    const wallet = this.stop.wallet ?? { end: 'paid' as const }
    const walletId = `round-stop-${this.stop.n}`
    const confirmsMs = typeof wallet.confirms === 'number' ? wallet.confirms / this.ctx.speed : 0
    const shown = await setWallet(this.ctx.acquirerUrl(), walletId, {
      ...(wallet.tier ? { tier: wallet.tier } : {}),
      ...(wallet.pin ? { pin: wallet.pin } : {}),
      ...(wallet.fails ? { fail: wallet.fails } : {}),
      // "never" is a customer who never confirms: longer than the backend will ask.
      payingMs: wallet.pin ? 0 : wallet.confirms === 'never' ? 120_000 : Math.round(confirmsMs),
    })
    this.step(
      'customer',
      `shows the payment code ${shown.paymentCode.code.slice(0, 2)}…${shown.paymentCode.code.slice(-4)}`,
    )
    await this.ctx.courier.scan(shown.paymentCode.code)
    this.step('courier', "scans the customer's payment code")
    const status = this.byId('charge-status')
    const states: string[] = []
    const note = async (): Promise<string | null> => {
      const state = await status.getAttribute('data-state', { timeout: 200 }).catch(() => null)
      if (state && states[states.length - 1] !== state) {
        states.push(state)
        this.step('terminal', `charge status: ${state}`)
      }
      return state
    }
    if (wallet.pin && wallet.end !== 'offline') {
      await this.see('the terminal waiting for the customer’s PIN', DONE_TIMEOUT_MS, (timeout) =>
        expect(status).toHaveAttribute('data-state', 'user_paying', { timeout }),
      )
      await note()
      const pinAfter = (wallet.pinAfter ?? 0) / this.ctx.speed
      if (wallet.end === 'paid') {
        if (pinAfter > 0) await sleep(pinAfter)
        await typeWalletPin(this.ctx.acquirerUrl(), walletId, wallet.pin)
        this.step('customer', 'types their PIN on the phone')
      }
    }
    const expected = wallet.end.startsWith('failed') ? 'failed' : wallet.end
    const until = Date.now() + this.ctx.paidTimeoutMs + (expected === 'revoked' ? this.stopChargeWindowMs() : 0)
    for (;;) {
      const state = await note()
      const { done } = await readScreen(this.ctx.page)
      if (expected === 'paid' && done.includes(this.stop.waybill)) break
      if (expected !== 'paid' && state === expected) break
      if (state && ['paid', 'failed', 'revoked', 'offline'].includes(state) && state !== expected) {
        throw new StopProblem(`the charge of the customer's code ended ${state}, the round planned ${wallet.end}`)
      }
      if (Date.now() > until) {
        throw new StopProblem(
          `the charge of the customer's code did not end ${wallet.end} in time (states seen: ${states.join(' → ') || 'none'})`,
        )
      }
      await sleep(100)
    }
    this.result.paymentStates.push(...states.map((state) => `charge:${state}`))
    if (expected === 'paid') {
      this.step('terminal', 'paid, back at scan')
      return
    }
    if (wallet.end.startsWith('failed:')) {
      const failure = await status.getAttribute('data-failure')
      if (`failed:${failure}` !== wallet.end) {
        throw new StopProblem(`the terminal says the charge failed as ${failure}, the round planned ${wallet.end}`)
      }
      this.step('terminal', `says why, in the customer's terms: ${(await status.innerText()).replace(/\s+/g, ' ')}`)
    }
    if (this.stop.split && wallet.end === 'failed:limit_per_payment') {
      await this.ctx.courier.tap('charge-split')
      this.step('courier', 'taps "split" where the charge was refused')
      await this.splitPayment()
      return
    }
    await this.ctx.courier.tap('charge-cash')
    this.step('courier', 'taps "take cash"')
    await this.takeCash(this.stop.codFen)
  }

  /** How long a charge nobody confirms stays open at the backend before its revoke, with room for the revoke. */
  private stopChargeWindowMs(): number {
    return this.ctx.chargeQueryForMs + 10_000
  }

  /**
   * The cash panel: the amount due is taken with one tap on "exact"; a short amount is keyed on the keypad and
   * recorded by the tap on the button that names the shortfall.
   */
  private async takeCash(takenFen: number): Promise<void> {
    await this.see('the cash panel', DONE_TIMEOUT_MS, (timeout) =>
      expect(this.byId('cash-panel')).toBeVisible({ timeout }),
    )
    if (takenFen === this.stop.codFen) {
      await this.ctx.courier.tap('cash-exact')
      this.step('courier', `taps "exact ${formatFen(takenFen)}"`)
    } else {
      await this.ctx.courier.keyCash(takenFen)
      this.step('courier', `keys the cash taken: ${formatFen(takenFen)}`)
      await this.see(`the shortfall of ${formatFen(this.stop.codFen - takenFen)}`, DONE_TIMEOUT_MS, (timeout) =>
        expect(this.byId('cash-difference')).toHaveAttribute('data-short-fen', String(this.stop.codFen - takenFen), {
          timeout,
        }),
      )
      await this.ctx.courier.tap('cash-confirm')
      this.step('courier', 'taps "record, short"')
    }
    await this.awaitDone(`the cash delivery of ${formatFen(takenFen)}`, formatFen(takenFen))
    this.step('terminal', `delivered, cash ${formatFen(takenFen)}`)
  }

  private async awaitDone(what: string, text?: string, timeoutMs = DONE_TIMEOUT_MS): Promise<void> {
    await this.see(what, timeoutMs, async (timeout) => {
      await expect(this.byId('delivery-done')).toContainText(this.stop.waybill, { timeout })
      if (text) await expect(this.byId('delivery-done')).toContainText(text, { timeout })
    })
  }

  private async showQr(): Promise<void> {
    await this.ctx.courier.tap('pay-digital')
    this.step('courier', 'taps "digital payment"')
    await this.see('the collection QR on screen', QR_TIMEOUT_MS, (timeout) =>
      expect(this.byId('payment-qr')).toHaveAttribute('data-payload-drawn', 'yes', { timeout }),
    )
    let payload: string
    try {
      payload = await this.ctx.courier.readPaymentQr()
    } catch (error) {
      throw new StopProblem(`the QR on screen could not be read: ${(error as Error).message.split('\n')[0]}`)
    }
    let fields
    try {
      fields = decodeCollectionQr(payload)
    } catch (error) {
      throw new StopProblem(`the QR on screen is not a valid collection QR: ${(error as Error).message}`)
    }
    if (fields.amountFen !== this.stop.codFen || fields.waybill !== this.stop.waybill) {
      throw new StopProblem(
        `the QR asks ${formatFen(fields.amountFen)} for ${fields.waybill}, not ${formatFen(this.stop.codFen)} for ${this.stop.waybill}`,
      )
    }
    this.intentId = fields.intentId
    this.qrPayload = payload
    this.step('terminal', `QR shown: ${formatFen(fields.amountFen)} for ${fields.waybill}`)
  }

  private async customerPays(): Promise<WalletAnswer> {
    this.step('customer', 'scans the QR with their wallet and pays')
    const answer = await walletPays(this.ctx.acquirerUrl, this.qrPayload!)
    if ('paid' in answer) {
      this.result.customerPaid = {
        paidAt: answer.paid.paidAt,
        transactionId: answer.paid.transactionId,
        receipt: false,
      }
      this.step('customer', `paid ${formatFen(answer.paid.amountFen)} (transaction ${answer.paid.transactionId})`)
    } else {
      this.result.customerRefused = answer.refused
      this.step('customer', `the acquirer refused the payment: ${answer.refused}`)
    }
    return answer
  }

  private async customerAtTheDoor(): Promise<void> {
    const customer = this.stop.customer ?? { kind: 'pays', afterMs: 0 }
    const patience = this.ctx.patienceMs / this.ctx.speed
    if (this.stop.stray) await this.strayScan(this.stop.stray)
    switch (customer.kind) {
      case 'pays': {
        if (customer.afterMs > 0) await this.watchWhileWaiting(customer.afterMs / this.ctx.speed)
        const answer = await this.customerPays()
        if ('refused' in answer) throw new StopProblem(`the acquirer refused the customer's payment: ${answer.refused}`)
        await this.awaitPaid()
        return
      }
      case 'shows-receipt': {
        const answer = await this.customerPays()
        if ('refused' in answer) throw new StopProblem(`the acquirer refused the customer's payment: ${answer.refused}`)
        this.step('customer', 'shows the receipt QR on their wallet')
        this.result.customerPaid!.receipt = true
        await this.ctx.courier.scan(answer.paid.receiptToken)
        this.step('courier', 'scans the receipt')
        await this.awaitPaid({ refusalEnds: true })
        return
      }
      case 'never-pays':
        this.step('customer', 'does not pay')
        await this.watchWhileWaiting(patience)
        await this.switchToCash()
        return
      case 'pays-after-cash': {
        this.step('customer', 'does not pay yet')
        await this.watchWhileWaiting(patience)
        await this.switchToCash()
        const answer = await this.customerPays()
        if (this.stop.expected.refusedPayment && 'paid' in answer) {
          throw new StopProblem('the acquirer took a payment for a QR the courier had cancelled with coverage')
        }
        if (!this.stop.expected.refusedPayment && 'refused' in answer) {
          throw new StopProblem(
            `the acquirer refused the late payment (${answer.refused}), but without coverage the cancellation could not have reached it`,
          )
        }
        return
      }
      case 'pays-twice': {
        const answer = await this.customerPays()
        if ('refused' in answer) throw new StopProblem(`the acquirer refused the customer's payment: ${answer.refused}`)
        await this.watchWhileWaiting(patience)
        this.step('customer', 'hands over cash as well, since the terminal shows no payment')
        await this.switchToCash()
        return
      }
    }
  }

  /**
   * With the QR up, the courier scans the next stop's parcel by mistake. The terminal must ask rather than drop the
   * QR; the courier keeps this order, or switches to the other parcel and comes back, scanning this one again and
   * tapping "digital payment": the same QR, never cancelled, is still the one the customer pays.
   */
  private async strayScan(answer: 'keep' | 'switch'): Promise<void> {
    const next = this.ctx.nextBarcode
    if (!next) throw new StopProblem('there is no next parcel to scan by mistake')
    const record = { answer, asked: false, sameQr: false }
    this.result.stray = record
    await this.ctx.courier.scan(next)
    this.step('courier', `scans ${next} by mistake, with the QR up`)
    await this.see('the terminal asking whether to keep this order or switch', DONE_TIMEOUT_MS, (timeout) =>
      expect(this.byId('scan-conflict')).toBeVisible({ timeout }),
    )
    record.asked = true
    this.step('terminal', 'asks: keep this order, or switch to the other parcel?')
    if (answer === 'keep') {
      await this.ctx.courier.tap('scan-conflict-keep')
      this.step('courier', 'keeps this order')
    } else {
      await this.ctx.courier.tap('scan-conflict-switch')
      this.step('courier', 'switches to the other parcel')
      await this.see('the other parcel’s order card', CARD_TIMEOUT_MS, (timeout) =>
        expect(this.byId('order-card')).not.toContainText(this.stop.waybill, { timeout }),
      )
      const own = parcelBarcode(this.stop.waybill, 1, this.stop.parcels)
      await this.ctx.courier.scan(own)
      this.step('courier', `comes back: scans ${own} again`)
      await this.see(`the order card for ${this.stop.waybill} again`, CARD_TIMEOUT_MS, (timeout) =>
        expect(this.byId('order-card')).toContainText(this.stop.waybill, { timeout }),
      )
      const before = this.intentId
      await this.showQr()
      if (this.intentId !== before) {
        throw new StopProblem(`the QR changed (${before} → ${this.intentId}): the stray scan cancelled it`)
      }
    }
    await this.see('the QR still on screen', QR_TIMEOUT_MS, (timeout) =>
      expect(this.byId('payment-qr')).toHaveAttribute('data-payload-drawn', 'yes', { timeout }),
    )
    record.sameQr = true
  }

  /**
   * No coverage and no receipt: the customer pays (or says so and does not), and the courier records "paid, to be
   * verified". The terminal offers it once it knows it cannot learn of the payment itself (no coverage).
   */
  private async recordUnverified(): Promise<void> {
    const customer = this.stop.customer ?? { kind: 'pays', afterMs: 0 }
    if (customer.kind === 'pays') {
      if (customer.afterMs > 0) await this.watchWhileWaiting(customer.afterMs / this.ctx.speed)
      const answer = await this.customerPays()
      if ('refused' in answer) throw new StopProblem(`the acquirer refused the customer's payment: ${answer.refused}`)
      this.step('customer', "cannot show the receipt: the phone's battery died")
    } else {
      this.step('customer', 'says they paid, but did not')
    }
    await this.see('"paid, to be verified" offered on the payment screen', UNVERIFIED_OFFER_TIMEOUT_MS, (timeout) =>
      expect(this.byId('pay-unverified')).toBeVisible({ timeout }),
    )
    await this.notePaymentState()
    await this.ctx.courier.tap('pay-unverified')
    this.step('courier', 'taps "paid, to be verified"')
    await this.ctx.courier.tap('unverified-confirm-yes')
    this.step('courier', 'confirms it')
    await this.awaitDone(`the delivery recorded as "paid, to be verified"`)
    if (!this.result.paymentStates.includes('unverified')) this.result.paymentStates.push('unverified')
    this.step('terminal', 'delivered, paid, to be verified')
  }

  /** Waits `ms` with the QR up, noting each payment state the terminal shows. */
  private async watchWhileWaiting(ms: number): Promise<void> {
    const until = Date.now() + ms
    while (Date.now() < until) {
      await this.notePaymentState()
      await sleep(Math.min(200, until - Date.now()))
    }
  }

  private async notePaymentState(): Promise<string | null> {
    const { state } = await readScreen(this.ctx.page)
    const states = this.result.paymentStates
    if (state && states[states.length - 1] !== state) {
      states.push(state)
      this.step('terminal', `payment status: ${state}`)
    }
    return state
  }

  /**
   * The terminal shows "paid" by itself and returns to scan with the delivery done. After a receipt scan
   * (`refusalEnds`), a refusal of that scan is the terminal's answer: no use waiting on.
   */
  private async awaitPaid(options: { refusalEnds?: boolean } = {}): Promise<void> {
    const timeoutMs = this.ctx.paidTimeoutMs
    const until = Date.now() + timeoutMs
    for (;;) {
      await this.notePaymentState()
      const { done, refusal } = await readScreen(this.ctx.page)
      if (done.includes(this.stop.waybill)) break
      if (options.refusalEnds && refusal) {
        throw new StopProblem(`the terminal refused the receipt: ${refusal.trim()}`)
      }
      if (Date.now() > until) {
        const refusal = this.byId('scan-refusal')
        const said = (await refusal.isVisible()) ? `; the terminal says: ${await refusal.innerText()}` : ''
        throw new StopProblem(
          `"paid" and the return to scan did not happen within ${timeoutMs / 1000} s of the customer paying (states seen: ${this.result.paymentStates.join(' → ') || 'none'}${said})`,
        )
      }
      await sleep(50)
    }
    if (!this.result.paymentStates.includes('paid')) this.result.paymentStates.push('paid')
    this.step('terminal', 'paid, back at scan')
  }

  /** The customer did not pay (or the terminal never heard): the courier takes cash from the payment screen. */
  private async switchToCash(): Promise<void> {
    await this.ctx.courier.tap('pay-cash')
    this.step('courier', 'taps "switch to cash"')
    try {
      await expect(this.byId('cash-panel').or(this.byId('delivery-done'))).toBeVisible({ timeout: DONE_TIMEOUT_MS })
    } catch {
      throw new StopProblem('neither the cash panel nor a completed delivery came after "switch to cash"')
    }
    if (!(await this.byId('cash-panel').isVisible())) {
      throw new StopProblem('the terminal found the order already paid, so the courier took no cash')
    }
    await this.takeCash(this.stop.codFen)
  }

  /** This stop's share of the terminal's performance entries, and confirmation → "paid" for its intent. */
  private async readFigures(): Promise<void> {
    // The terminal marks "card painted" a frame after it paints; a prepaid stop can finish before that.
    const scans = this.stop.parcels
    await this.ctx.page
      .waitForFunction(
        ([name, count]) => performance.getEntriesByName(name).length >= count,
        [PERF.scanToCard, this.perfBefore.scanToCard.length + scans] as const,
        { timeout: 1000 },
      )
      .catch(() => undefined)
    const after = await perfSnapshot(this.ctx.page)
    this.result.scanToCardMs = after.scanToCard.slice(this.perfBefore.scanToCard.length)
    this.result.tapToQrMs = after.tapToQr.slice(this.perfBefore.tapToQr.length)[0] ?? null
    const paid = this.result.customerPaid
    const mark = this.intentId ? after.paid.find((entry) => entry.intentId === this.intentId) : undefined
    if (paid && mark && !paid.receipt)
      this.result.confirmToPaidMs = Math.max(0, mark.wallClock - Date.parse(paid.paidAt))
  }
}
