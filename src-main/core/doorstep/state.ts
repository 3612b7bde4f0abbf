import type { ScanSource } from '../../../shared/api/events'
import type {
  Collecting,
  CompletionNotice,
  DoorstepView,
  PaymentConfirmation,
  UndoWindow,
} from '../../../shared/ipc/contract'
import type { DeviceDb } from '../db'
import { findOrder, orderView } from '../manifest/views'

/** A scan that arrived while a collection was open, held until the courier keeps the collection or switches. */
export interface HeldScan {
  code: string
  source: ScanSource
  orderId: string
  waybill: string
}

interface OpenUndo extends UndoWindow {
  /** The completion's time by the device's clock, which the backend measures the window from. */
  completedAt: string
  /** `performance.now()` past which the window is shut, whatever the wall clock says. */
  deadline: number
}

/**
 * What the courier has at the door, held by the core for this run: the order in hand (the last accepted scan), what
 * is open for it, a scan waiting for keep-or-switch, the completion that can still be undone, and the last
 * completion the courier did not watch. None of it outlives the process: after a restart the courier scans again,
 * and a completion's undo window has ended (DESIGN section 3). The state changes only after the commit of what
 * it describes; every change is pushed to the renderer as `doorstepChanged`.
 */
export interface Doorstep {
  /** The order in hand, or null. */
  inHand(): string | null
  /** How it came to be in hand: its parcel scanned, or opened from the route (no collecting until scanned). */
  how(): 'scanned' | 'opened' | null
  collecting(): Collecting | null
  held(): HeldScan | null
  undo(): Readonly<OpenUndo> | null
  notice(): CompletionNotice | null

  /** An accepted scan: this order is in hand now, nothing is open for it yet. */
  take(orderId: string): void
  /** Opened from the route: in hand for a call or a failure; its parcel's scan makes it `scanned`. */
  open(orderId: string): void
  /** A refusal, a completion or a switch: nothing is in hand. */
  letGo(): void
  /** The QR or cash panel of the order in hand opened, or closed (`null`). */
  collect(mode: Collecting | null): void
  hold(scan: HeldScan | null): void
  /** A prepaid, cash or failed completion: undoable for `windowMs`, or until the next scan. */
  openUndo(window: Omit<UndoWindow, 'until'> & { completedAt: string }): void
  closeUndo(): void
  /** A completion the courier did not watch: it replaces the notice before it. */
  announce(notice: Omit<CompletionNotice, 'id'>): void
  dismiss(id: number): boolean
  view(db: DeviceDb): DoorstepView
  /**
   * The route changed under the courier (another terminal closed the order, the depot cancelled or reassigned
   * it): an order in hand that is no longer open is let go, and the renderer told.
   */
  recheck(): void
  /** Pushes the current view to the renderer; call after the commit of what changed it. */
  changed(): void
  stop(): void
}

export interface DoorstepOptions {
  db: DeviceDb
  now: () => Date
  emit: (view: DoorstepView) => void
}

export function createDoorstep(options: DoorstepOptions): Doorstep {
  let inHand: string | null = null
  let how: 'scanned' | 'opened' | null = null
  let collecting: Collecting | null = null
  let held: HeldScan | null = null
  let undo: OpenUndo | null = null
  let undoTimer: NodeJS.Timeout | null = null
  let notice: CompletionNotice | null = null
  let noticeSeq = 0

  const closeUndo = (): void => {
    if (undoTimer) clearTimeout(undoTimer)
    undoTimer = null
    undo = null
  }

  const door: Doorstep = {
    inHand: () => inHand,
    how: () => (inHand === null ? null : how),
    collecting: () => collecting,
    held: () => held,
    undo: () => undo,
    notice: () => notice,
    take(orderId) {
      if (inHand !== orderId) collecting = null
      inHand = orderId
      how = 'scanned'
      held = null
    },
    open(orderId) {
      if (inHand === orderId) return
      collecting = null
      inHand = orderId
      how = 'opened'
      held = null
    },
    letGo() {
      inHand = null
      collecting = null
      held = null
    },
    collect(mode) {
      collecting = inHand === null ? null : mode
    },
    hold(scan) {
      held = scan
    },
    openUndo(window) {
      closeUndo()
      const until = new Date(options.now().getTime() + window.windowMs).toISOString()
      undo = { ...window, until, deadline: performance.now() + window.windowMs }
      undoTimer = setTimeout(() => {
        undoTimer = null
        undo = null
        door.changed()
      }, window.windowMs)
      undoTimer.unref()
    },
    closeUndo,
    announce(next) {
      notice = { ...next, id: ++noticeSeq }
    },
    dismiss(id) {
      if (notice?.id !== id) return false
      notice = null
      return true
    },
    view(db) {
      const order = inHand ? findOrder(db, inHand) : null
      const open = undo && performance.now() < undo.deadline ? undo : null
      return {
        order: order ? orderView(db, order) : null,
        how: order ? how : null,
        collecting: order ? collecting : null,
        conflict: held ? { code: held.code, orderId: held.orderId, waybill: held.waybill } : null,
        undo: open
          ? {
              orderId: open.orderId,
              waybill: open.waybill,
              method: open.method,
              amountFen: open.amountFen,
              until: open.until,
              windowMs: open.windowMs,
            }
          : null,
        notice,
      }
    },
    recheck() {
      if (inHand === null) return
      if (findOrder(options.db, inHand)?.status === 'pending') return
      door.letGo()
      door.changed()
    },
    changed() {
      options.emit(door.view(options.db))
    },
    stop() {
      closeUndo()
    },
  }
  return door
}

/** The notice for a completion the courier did not watch, from the payment that completed it. */
export function completionNotice(
  waybill: string,
  orderId: string,
  amountFen: number,
  confirmation: PaymentConfirmation | null,
  at: string,
): Omit<CompletionNotice, 'id'> {
  return { orderId, waybill, amountFen, method: 'digital', confirmation, at }
}
