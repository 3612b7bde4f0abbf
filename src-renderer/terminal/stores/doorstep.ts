import { acceptHMRUpdate, defineStore } from 'pinia'
import { ref } from 'vue'
import type { FailureReason, ScanSource } from '../../../shared/api/events'
import type {
  OrderFlag,
  OrderView,
  PaymentConfirmation,
  PaymentUpdate,
  PaymentView,
  ScanOutcome,
  StartCashResult,
  UnverifiedAllowance,
} from '../../../shared/ipc/contract'
import { bridge, IpcError } from '../../bridge'

/** Where the courier is at the door: waiting for a scan, looking at an order, showing a QR, or taking cash. */
export type DoorPhase = 'scan' | 'order' | 'payment' | 'cash'

/** After this long without a confirmation the status line says the payment is slow (and keeps waiting). */
export const SLOW_PAYMENT_MS = 10_000
/** How long "Paid" stays on screen before the terminal returns to scan by itself (well inside 1 s). */
export const PAID_LINGER_MS = 600

export type Refusal = Extract<ScanOutcome, { outcome: 'refused' }>
export type ReceiptScan = Extract<ScanOutcome, { outcome: 'receipt' }>

export interface Finished {
  orderId: string
  waybill: string
  method: 'digital' | 'cash' | 'prepaid' | 'failed'
  amountFen: number
  reason: FailureReason | null
  /** For a digital delivery: how the payment was known (a receipt, or "paid, to be verified"). */
  confirmation: PaymentConfirmation | null
}

/**
 * The doorstep loop: scan → order card → collect (digital, cash, failed) → back to scan. Every action goes
 * through the core, which records it before answering; this store only keeps what the screen shows.
 */
export const useDoorstepStore = defineStore('doorstep', () => {
  const phase = ref<DoorPhase>('scan')
  const order = ref<OrderView | null>(null)
  const lastScan = ref<Extract<ScanOutcome, { outcome: 'accepted' }> | null>(null)
  const refusal = ref<Refusal | null>(null)
  const payment = ref<PaymentView | null>(null)
  const slow = ref(false)
  const cashStart = ref<StartCashResult | null>(null)
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
    lastScan.value = null
    slow.value = false
    finished.value = done
  }

  /** Looks a code up; resolves to the outcome so the caller can sound the right tone. */
  async function scan(code: string, source: ScanSource): Promise<ScanOutcome | null> {
    const leaving = phase.value === 'payment' && order.value ? order.value.orderId : null
    // A receipt scanned while an order is open must be for that order; the core ignores this for parcel labels.
    const onScreen = phase.value !== 'scan' && order.value ? order.value.orderId : undefined
    const outcome = await act(() => bridge.scanBarcode({ code, source, orderId: onScreen }))
    if (!outcome) return null
    if (outcome.outcome === 'refused') {
      refusal.value = outcome
      cardVersion.value++
      return outcome
    }
    refusal.value = null
    if (outcome.outcome === 'receipt') {
      onReceipt(outcome)
      return outcome
    }
    receiptKnown.value = null
    finished.value = null
    if (leaving && leaving !== outcome.order.orderId) void bridge.leavePayment({ orderId: leaving })
    if (leaving !== outcome.order.orderId || phase.value !== 'payment') {
      clearTimers()
      payment.value = null
      cashStart.value = null
      slow.value = false
      phase.value = outcome.completed ? 'scan' : 'order'
    }
    order.value = outcome.order
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
    return outcome
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
    phase.value = 'payment'
    if (lingerTimer) return
    lingerTimer = setTimeout(() => backToScan(finishedDigital(current, payment.value ?? view)), PAID_LINGER_MS)
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
    })
  }

  function dismiss(): void {
    const current = order.value
    if (phase.value === 'payment' && current) void bridge.leavePayment({ orderId: current.orderId })
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
    if (update.completed && (phase.value === 'payment' || phase.value === 'cash' || phase.value === 'order')) {
      order.value = { ...current, status: update.orderStatus }
      settlePaid(current, update.payment)
      return
    }
    if (phase.value === 'payment' && payment.value?.intentId === update.payment.intentId) {
      payment.value = update.payment
    }
  }

  function subscribe(): () => void {
    const disposers = [
      bridge.onPaymentUpdated(onPaymentUpdated),
      bridge.onOrderFlagged((flag) => {
        flags.value = [...flags.value, flag]
      }),
    ]
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
    finished,
    flags,
    receiptKnown,
    allowance,
    error,
    busy,
    cardVersion,
    scan,
    recordUnverified,
    payDigital,
    renewQr,
    leavePayment,
    startCash,
    confirmCash,
    fail,
    dismiss,
    acknowledgeFlag,
    subscribe,
  }
})

if (import.meta.hot) import.meta.hot.accept(acceptHMRUpdate(useDoorstepStore, import.meta.hot))
