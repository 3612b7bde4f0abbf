import { acceptHMRUpdate, defineStore } from 'pinia'
import { ref } from 'vue'
import type { FailureReason, ScanSource } from '../../../shared/api/events'
import type {
  CompletionNotice,
  DoorstepView,
  OrderFlag,
  OrderView,
  PaymentConfirmation,
  PaymentUpdate,
  PaymentView,
  ScanOutcome,
  StartCashResult,
  UndoWindow,
  UnverifiedAllowance,
} from '../../../shared/ipc/contract'
import { looksLikePaymentCode } from '../../../shared/payment-code'
import { bridge, IpcError } from '../../bridge'
import { useChargeStore } from './charge'

/**
 * Where the courier is at the door: waiting for a scan, looking at an order, showing a QR, taking cash, or
 * charging the customer's payment code.
 */
export type DoorPhase = 'scan' | 'order' | 'payment' | 'cash' | 'charge' | 'split'

/** After this long without a confirmation the status line says the payment is slow (and keeps waiting). */
export const SLOW_PAYMENT_MS = 10_000
/** How long "Paid" stays on screen before the terminal returns to scan by itself (well inside 1 s). */
export const PAID_LINGER_MS = 600
/**
 * A charged payment code: the customer typed a PIN on their phone and looks up at the terminal with the courier,
 * so "paid" stays long enough for both to read it.
 */
export const CHARGE_PAID_LINGER_MS = 1500

export type Refusal = Extract<ScanOutcome, { outcome: 'refused' }>
export type ReceiptScan = Extract<ScanOutcome, { outcome: 'receipt' }>
export type ScanConflict = Extract<ScanOutcome, { outcome: 'conflict' }>
export type AcceptedScan = Extract<ScanOutcome, { outcome: 'accepted' }>

export interface Finished {
  orderId: string
  waybill: string
  method: 'digital' | 'cash' | 'prepaid' | 'failed' | 'split'
  amountFen: number
  /** For a split: the cash part (`amountFen` is the digital part). */
  cashFen?: number
  reason: FailureReason | null
  /** For a digital delivery: how the payment was known (a receipt, or "paid, to be verified"). */
  confirmation: PaymentConfirmation | null
  /** For a failure: the calls to the customer this attempt, the evidence that the courier tried. */
  calls?: OrderView['calls']
}

/**
 * The doorstep loop: scan → order card → collect (digital, cash, failed) → back to scan. Every action goes
 * through the core, which records it before answering and holds the order in hand (the only order anything can
 * be collected for); this store keeps what the screen shows, and follows the core's doorstep pushes for the undo
 * window, the keep-or-switch question and the notice of a completion the courier did not watch.
 */
export const useDoorstepStore = defineStore('doorstep', () => {
  const chargeStore = useChargeStore()
  const phase = ref<DoorPhase>('scan')
  const order = ref<OrderView | null>(null)
  const lastScan = ref<AcceptedScan | null>(null)
  /** A parcel scanned while a collection was open: keep the collection, or switch to it. */
  const conflict = ref<ScanConflict | null>(null)
  /** The completion that one tap can still undo, while its window is open. */
  const undo = ref<UndoWindow | null>(null)
  /** The last completion the courier did not watch (a late payment), until dismissed or replaced. */
  const notice = ref<CompletionNotice | null>(null)
  const refusal = ref<Refusal | null>(null)
  const payment = ref<PaymentView | null>(null)
  const slow = ref(false)
  const cashStart = ref<StartCashResult | null>(null)
  /** The digital part suggested when a split is offered (the payer's wallet limit); null: none. */
  const splitSuggestFen = ref<number | null>(null)
  /** The order whose collection QR was on screen: only then does the cash panel say the digital payment ended. */
  const qrShownFor = ref<string | null>(null)
  /** The order on the card was opened from the route: calling and a failure can be done; collecting needs its scan. */
  const opened = ref(false)
  const finished = ref<Finished | null>(null)
  const flags = ref<OrderFlag[]>([])
  /** A receipt that told the device nothing new (already recorded), shown so the courier is not left guessing. */
  const receiptKnown = ref<ReceiptScan | null>(null)
  /** "Paid, to be verified" limits and what the shift has used, loaded with the QR. */
  const allowance = ref<UnverifiedAllowance | null>(null)
  const error = ref<IpcError | null>(null)
  const busy = ref(false)
  /** Bumped whenever the order card shows a new scan result, so the screen can mark it painted. */
  const cardVersion = ref(0)
  let slowTimer: ReturnType<typeof setTimeout> | null = null
  let lingerTimer: ReturnType<typeof setTimeout> | null = null

  function clearTimers(): void {
    if (slowTimer) clearTimeout(slowTimer)
    if (lingerTimer) clearTimeout(lingerTimer)
    slowTimer = lingerTimer = null
  }

  async function act<T>(action: () => Promise<T>): Promise<T | null> {
    busy.value = true
    error.value = null
    try {
      return await action()
    } catch (caught) {
      if (caught instanceof IpcError) {
        error.value = caught
        return null
      }
      throw caught
    } finally {
      busy.value = false
    }
  }

  function backToScan(done: Finished | null): void {
    clearTimers()
    receiptKnown.value = null
    phase.value = 'scan'
    order.value = null
    payment.value = null
    cashStart.value = null
    splitSuggestFen.value = null
    qrShownFor.value = null
    opened.value = false
    lastScan.value = null
    slow.value = false
    finished.value = done
    chargeStore.clear()
  }

  /** Whether a customer's payment code scanned now is charged for the order on the card (the core decides too). */
  function canCharge(): boolean {
    const current = order.value
    return (
      current !== null &&
      current.status === 'pending' &&
      current.codFen > 0 &&
      current.readyToCollect &&
      !opened.value &&
      (phase.value === 'order' || phase.value === 'payment' || phase.value === 'charge' || phase.value === 'split')
    )
  }

  /** Looks a code up; resolves to the outcome so the caller can sound the right tone. */
  async function scan(code: string, source: ScanSource): Promise<ScanOutcome | null> {
    const charging = looksLikePaymentCode(code) && canCharge()
    const before = phase.value
    if (charging) enterCharge()
    const outcome = await act(() => bridge.scanBarcode({ code, source }))
    if (!outcome) {
      if (charging) leaveChargeScreen(before)
      return null
    }
    if (outcome.outcome === 'charge') {
      refusal.value = null
      order.value = outcome.order
      chargeStore.show(outcome.charge)
      phase.value = 'charge'
      return outcome
    }
    if (outcome.outcome === 'refused') {
      refusal.value = outcome
      // The core let go of the order on the card: it cannot be acted on until it is scanned again. A QR or cash
      // panel stays (the customer may be paying), with the refusal shown over it.
      if (phase.value === 'order') {
        backToScan(null)
      } else if (phase.value === 'scan') {
        finished.value = null
      }
      cardVersion.value++
      return outcome
    }
    if (outcome.outcome === 'conflict') {
      // Nothing was recorded: the courier keeps what is open, or switches to the new parcel.
      conflict.value = outcome
      return outcome
    }
    refusal.value = null
    if (outcome.outcome === 'receipt') {
      onReceipt(outcome)
      return outcome
    }
    accepted(outcome)
    return outcome
  }

  /** Shows an accepted scan: a new order card, or the same order's collection carrying on. */
  function accepted(outcome: AcceptedScan): void {
    receiptKnown.value = null
    finished.value = null
    conflict.value = null
    const same = order.value?.orderId === outcome.order.orderId
    if (!same || phase.value === 'scan' || phase.value === 'order') {
      clearTimers()
      payment.value = null
      cashStart.value = null
      slow.value = false
      // A split under way (after a restart, say) picks up where it was: digital part paid, cash pending.
      const split = outcome.order.split
      phase.value = outcome.completed ? 'scan' : split && split.state !== 'done' ? 'split' : 'order'
    }
    order.value = outcome.order
    opened.value = false
    lastScan.value = outcome
    if (outcome.completed) {
      finished.value = {
        orderId: outcome.order.orderId,
        waybill: outcome.order.waybill,
        method: 'prepaid',
        amountFen: 0,
        reason: null,
        confirmation: null,
      }
    }
    cardVersion.value++
  }

  /** The charge screen goes up at once: "sending" shows while the core waits for the backend's first answer. */
  function enterCharge(): void {
    const current = order.value
    if (!current) return
    clearTimers()
    slow.value = false
    chargeStore.follow(current.orderId)
    phase.value = 'charge'
  }

  /** The code was refused before anything was charged (already paid, another charge under way): back to the card. */
  function leaveChargeScreen(before: DoorPhase): void {
    if (phase.value !== 'charge' || chargeStore.charge !== null) return
    phase.value = before === 'charge' ? 'order' : before
    if (phase.value === 'payment' && payment.value) startWaiting(payment.value)
  }

  /** "Scan customer's code": the camera read a code; it is charged for the order on the card. */
  async function chargeCode(code: string, source: ScanSource): Promise<void> {
    const current = order.value
    if (!current) return
    const before = phase.value
    enterCharge()
    const view = await act(() => chargeStore.chargeCode(current.orderId, code, source))
    if (!view) {
      error.value = chargeStore.error
      leaveChargeScreen(before)
    }
  }

  /** Back from a charge that ended without payment (failed, revoked, no coverage): the order card again. */
  async function leaveCharge(): Promise<void> {
    const current = order.value
    if (!current) return
    chargeStore.clear()
    phase.value = 'order'
    await act(() => bridge.leavePayment({ orderId: current.orderId }))
    const fresh = await act(() => bridge.getOrder({ orderId: current.orderId }))
    if (fresh && order.value?.orderId === fresh.orderId) order.value = fresh
  }

  /** Keep the collection that is open (the stray parcel is logged as refused), or switch to the new parcel. */
  async function resolveConflict(choice: 'keep' | 'switch'): Promise<void> {
    const outcome = await act(() => bridge.resolveScanConflict({ choice }))
    conflict.value = null
    if (!outcome) return
    if (outcome.outcome === 'accepted') {
      refusal.value = null
      accepted(outcome)
    } else if (outcome.outcome === 'conflict') {
      conflict.value = outcome
    }
  }

  /**
   * Opens a stop's order from the route, on its card. The core holds it in hand the way a scan does, except that
   * collecting waits for the parcel's scan; calling the customer and a failure can be done at once.
   */
  async function openFromRoute(orderId: string): Promise<boolean> {
    const view = await act(() => bridge.openOrder({ orderId }))
    if (!view) return false
    clearTimers()
    receiptKnown.value = null
    refusal.value = null
    finished.value = null
    conflict.value = null
    payment.value = null
    cashStart.value = null
    qrShownFor.value = null
    lastScan.value = null
    slow.value = false
    order.value = view
    opened.value = true
    phase.value = 'order'
    cardVersion.value++
    return true
  }

  /** Reads the order on the card again (a call was recorded for it), if it is still the one on the card. */
  async function refreshOrder(): Promise<void> {
    const current = order.value
    if (!current) return
    const fresh = await act(() => bridge.getOrder({ orderId: current.orderId }))
    if (fresh && order.value?.orderId === fresh.orderId) order.value = fresh
  }

  /** Undoes the completion whose window is open: the order is open and in hand again, on its card. */
  async function undoCompletion(): Promise<void> {
    const open = undo.value
    if (!open) return
    const reopened = await act(() => bridge.undoDelivery({ orderId: open.orderId }))
    if (!reopened) return
    undo.value = null
    clearTimers()
    refusal.value = null
    finished.value = null
    payment.value = null
    cashStart.value = null
    lastScan.value = null
    order.value = reopened
    phase.value = 'order'
    cardVersion.value++
  }

  /** Hands over a prepaid order in hand (one whose completion was undone). */
  async function deliverPrepaid(): Promise<void> {
    const current = order.value
    if (!current) return
    const done = await act(() => bridge.deliverPrepaid({ orderId: current.orderId }))
    if (!done) return
    order.value = done
    backToScan({
      orderId: done.orderId,
      waybill: done.waybill,
      method: 'prepaid',
      amountFen: 0,
      reason: null,
      confirmation: null,
    })
    order.value = done
  }

  async function dismissNotice(): Promise<void> {
    const current = notice.value
    if (!current) return
    notice.value = null
    await act(() => bridge.dismissNotice({ id: current.id }))
  }

  /**
   * The core's doorstep changed. The undo window, the question and the notice are the core's to say. When the
   * core let go of the order on the card (the route changed under it: another terminal or the depot closed it),
   * the card goes, unless it is showing "paid" on its way back to scan.
   */
  function onDoorstep(view: DoorstepView): void {
    undo.value = view.undo
    if (view.notice?.id !== notice.value?.id) noticeArrived(view.notice)
    if (!view.conflict) conflict.value = null
    const shown = order.value
    if (phase.value === 'order' && shown && view.order?.orderId !== shown.orderId && !lingerTimer) backToScan(null)
  }

  let onNotice: ((notice: CompletionNotice) => void) | null = null
  function noticeArrived(next: CompletionNotice | null): void {
    notice.value = next
    if (next) onNotice?.(next)
  }

  /** Picks up where the core is (a reloaded screen): the order in hand and what is open for it. */
  async function restore(): Promise<void> {
    let view: DoorstepView
    try {
      view = await bridge.getDoorstep({})
    } catch {
      return
    }
    undo.value = view.undo
    notice.value = view.notice
    if (!view.order || order.value) return
    order.value = view.order
    opened.value = view.how === 'opened'
    if (view.order.split && view.order.split.state !== 'done') phase.value = 'split'
    else if (view.collecting === 'qr' && view.order.payment) startWaiting(view.order.payment)
    else if (view.collecting === 'charge') {
      phase.value = 'charge'
      await chargeStore.load(view.order.orderId)
    } else phase.value = view.collecting === 'cash' ? 'cash' : 'order'
  }

  /** A receipt the core accepted: the delivery it completed, or a note that it changed nothing. */
  function onReceipt(outcome: ReceiptScan): void {
    const current = order.value
    if (outcome.completed && current && current.orderId === outcome.order.orderId && phase.value !== 'scan') {
      receiptKnown.value = null
      order.value = outcome.order
      settlePaid(outcome.order, outcome.payment)
      return
    }
    if (outcome.completed) {
      // At the scan prompt: the receipt found its order and completed it.
      backToScan(finishedDigital(outcome.order, outcome.payment))
      return
    }
    // Known already, or flagged for the depot (the flag comes as its own push).
    receiptKnown.value = outcome.alreadyKnown ? outcome : null
    if (current?.orderId === outcome.order.orderId) order.value = outcome.order
  }

  function finishedDigital(done: OrderView, view: PaymentView): Finished {
    return {
      orderId: done.orderId,
      waybill: done.waybill,
      method: 'digital',
      amountFen: view.paidFen ?? view.amountFen,
      reason: null,
      confirmation: view.confirmation,
    }
  }

  function startWaiting(view: PaymentView): void {
    payment.value = view
    phase.value = 'payment'
    slow.value = false
    void loadAllowance()
    if (slowTimer) clearTimeout(slowTimer)
    slowTimer = setTimeout(() => {
      slow.value = true
    }, SLOW_PAYMENT_MS)
  }

  async function payDigital(): Promise<void> {
    const current = order.value
    if (!current) return
    const view = await act(() => bridge.showPaymentQr({ orderId: current.orderId }))
    if (!view) return
    qrShownFor.value = current.orderId
    if (view.status === 'paid') return settlePaid(current, view)
    startWaiting(view)
  }

  async function renewQr(): Promise<void> {
    const current = order.value
    if (!current) return
    const view = await act(() => bridge.renewPaymentQr({ orderId: current.orderId }))
    if (!view) return
    if (view.status === 'paid') return settlePaid(current, view)
    startWaiting(view)
  }

  /** The limits for "paid, to be verified"; without them the choice is not offered, so a failure only hides it. */
  async function loadAllowance(): Promise<void> {
    try {
      allowance.value = await bridge.getUnverifiedAllowance({})
    } catch {
      allowance.value = null
    }
  }

  /**
   * Shows the paid state, then returns to scan by itself. The push and the answer that completed the delivery
   * both arrive (in either order): the second only refreshes what is shown.
   */
  function settlePaid(current: OrderView, view: PaymentView): void {
    if (slowTimer) clearTimeout(slowTimer)
    slowTimer = null
    payment.value = view
    // A charged payment code says "paid" on its own screen; a QR on the QR's.
    if (phase.value !== 'charge') phase.value = 'payment'
    if (lingerTimer) return
    const linger = phase.value === 'charge' ? CHARGE_PAID_LINGER_MS : PAID_LINGER_MS
    lingerTimer = setTimeout(() => backToScan(finishedDigital(current, payment.value ?? view)), linger)
  }

  /** "Paid, to be verified": the core checks the limits and completes the order for the backend to settle. */
  async function recordUnverified(): Promise<void> {
    const current = order.value
    if (!current) return
    const done = await act(() => bridge.recordUnverified({ orderId: current.orderId }))
    if (!done?.payment) return
    order.value = done
    settlePaid(done, done.payment)
    void loadAllowance()
  }

  async function leavePayment(): Promise<void> {
    const current = order.value
    if (!current) return
    clearTimers()
    slow.value = false
    phase.value = 'order'
    await act(() => bridge.leavePayment({ orderId: current.orderId }))
    const fresh = await act(() => bridge.getOrder({ orderId: current.orderId }))
    if (fresh && order.value?.orderId === fresh.orderId) order.value = fresh
  }

  /** Cash: the core cancels the digital intent first; if it had been paid, the order is done. */
  async function startCash(): Promise<void> {
    const current = order.value
    if (!current) return
    const result = await act(() => bridge.startCash({ orderId: current.orderId }))
    if (!result) return
    clearTimers()
    slow.value = false
    order.value = result.order
    cashStart.value = result
    if (result.alreadyPaid && result.order.payment) {
      settlePaid(result.order, result.order.payment)
      return
    }
    phase.value = 'cash'
  }

  /** Records the cash taken; resolves false when the core wants the difference confirmed first. */
  async function confirmCash(takenFen: number, confirmMismatch: boolean): Promise<boolean> {
    const current = order.value
    if (!current) return false
    const done = await act(() => bridge.recordCash({ orderId: current.orderId, takenFen, confirmMismatch }))
    if (!done) return false
    backToScan({
      orderId: done.orderId,
      waybill: done.waybill,
      method: 'cash',
      amountFen: takenFen,
      reason: null,
      confirmation: null,
    })
    return true
  }

  /** Offers the split screen: the courier types the digital part (`suggestFen`: the payer's limit, when known). */
  async function openSplit(suggestFen: number | null = null): Promise<void> {
    const current = order.value
    if (!current) return
    if (phase.value === 'charge') {
      chargeStore.clear()
      await act(() => bridge.leavePayment({ orderId: current.orderId }))
    }
    clearTimers()
    slow.value = false
    splitSuggestFen.value = suggestFen !== null && suggestFen > 0 && suggestFen < current.codFen ? suggestFen : null
    phase.value = 'split'
  }

  /** Opens the split at the core (needs coverage): the part's QR is shown, and its code can be charged. */
  async function startSplit(digitalFen: number): Promise<void> {
    const current = order.value
    if (!current) return
    const view = await act(() => bridge.startSplit({ orderId: current.orderId, digitalFen }))
    if (!view || order.value?.orderId !== view.orderId) return
    order.value = view
    phase.value = 'split'
  }

  /** The split's digital part is paid: the courier took the cash rest, and the delivery is done. */
  async function splitCash(): Promise<void> {
    const current = order.value
    if (!current) return
    const done = await act(() => bridge.recordSplitCash({ orderId: current.orderId }))
    if (!done) return
    backToScan({
      orderId: done.orderId,
      waybill: done.waybill,
      method: 'split',
      amountFen: done.split?.digitalFen ?? 0,
      cashFen: done.split?.cashFen ?? done.collectedFen ?? 0,
      reason: null,
      confirmation: null,
    })
  }

  /** Back from the split screen to the order card; a split already opened stays as it is. */
  async function leaveSplit(): Promise<void> {
    const current = order.value
    if (!current) return
    phase.value = 'order'
    splitSuggestFen.value = null
    await act(() => bridge.leavePayment({ orderId: current.orderId }))
    await refreshOrder()
  }

  async function fail(reason: FailureReason): Promise<void> {
    const current = order.value
    if (!current) return
    const done = await act(() => bridge.recordFailure({ orderId: current.orderId, reason }))
    if (!done) return
    backToScan({
      orderId: done.orderId,
      waybill: done.waybill,
      method: 'failed',
      amountFen: 0,
      reason,
      confirmation: null,
      calls: current.calls,
    })
  }

  function dismiss(): void {
    const current = order.value
    if (
      (phase.value === 'payment' || phase.value === 'cash' || phase.value === 'charge' || phase.value === 'split') &&
      current
    ) {
      void bridge.leavePayment({ orderId: current.orderId })
    }
    backToScan(null)
    refusal.value = null
    error.value = null
  }

  function acknowledgeFlag(): void {
    flags.value = flags.value.slice(1)
  }

  function onPaymentUpdated(update: PaymentUpdate): void {
    const current = order.value
    if (!current || update.orderId !== current.orderId) return
    if (
      update.completed &&
      (phase.value === 'payment' || phase.value === 'cash' || phase.value === 'order' || phase.value === 'charge')
    ) {
      order.value = { ...current, status: update.orderStatus }
      settlePaid(current, update.payment)
      return
    }
    if (current.split?.intentId === update.payment.intentId && !update.completed) {
      // The digital part of a split moved on (paid): the split screen shows the cash rest to take.
      void refreshOrder().then(() => {
        if (order.value?.split && order.value.split.state !== 'done') phase.value = 'split'
      })
      return
    }
    if (phase.value === 'payment' && payment.value?.intentId === update.payment.intentId) {
      payment.value = update.payment
    } else if (phase.value === 'payment' && update.payment.status === 'pending' && !update.payment.cancelledByCourier) {
      // The core replaced a QR the backend had withdrawn: the new one goes up in its place.
      startWaiting(update.payment)
    }
  }

  /** `announce` plays the notice's tone; the store itself makes no sound. */
  function subscribe(announce: (notice: CompletionNotice) => void = () => undefined): () => void {
    onNotice = announce
    const disposers = [
      chargeStore.subscribe(),
      bridge.onPaymentUpdated(onPaymentUpdated),
      bridge.onOrderFlagged((flag) => {
        flags.value = [...flags.value, flag]
      }),
      bridge.onDoorstepChanged(onDoorstep),
      () => {
        onNotice = null
      },
    ]
    void restore()
    return () => {
      disposers.forEach((dispose) => dispose())
      clearTimers()
    }
  }

  return {
    phase,
    order,
    lastScan,
    refusal,
    payment,
    slow,
    cashStart,
    splitSuggestFen,
    qrShownFor,
    opened,
    finished,
    flags,
    conflict,
    undo,
    notice,
    receiptKnown,
    allowance,
    error,
    busy,
    cardVersion,
    scan,
    resolveConflict,
    openFromRoute,
    refreshOrder,
    undoCompletion,
    deliverPrepaid,
    dismissNotice,
    recordUnverified,
    chargeCode,
    leaveCharge,
    canCharge,
    payDigital,
    renewQr,
    leavePayment,
    startCash,
    confirmCash,
    openSplit,
    startSplit,
    splitCash,
    leaveSplit,
    fail,
    dismiss,
    acknowledgeFlag,
    subscribe,
  }
})

if (import.meta.hot) import.meta.hot.accept(acceptHMRUpdate(useDoorstepStore, import.meta.hot))
