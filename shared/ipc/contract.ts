import { z } from 'zod'
import {
  CaptureEvidenceRequest,
  ChooseHandoverRequest,
  OverrideProofRequest,
  ProofView,
  SubmitCodeRequest,
} from './proof'
import { DeliveryMethod, FailureReason, ScanRefusal, ScanSource, StopMoveReason } from '../api/events'
import { DeviceId, IntentId, OrderId, ParcelId, Pin, ShiftId, StaffId, StopId, Timestamp } from '../api/ids'
import { DeviceBattery } from '../api/depot-devices'
import { EnrollmentCode } from '../api/device'
import { IntentStatus, OrderStatus } from '../api/shift'
import { SettlementVerdict } from '../api/stream'
import { ChargeFailure } from '../api/acquirer'
import { MoneyFigures } from '../api/closure'
import { Fen, TotalFen } from '../money'

/**
 * The IPC contract between the terminal's renderer and the device core: the one source of truth for the
 * preload, the Electron main registration, the browser host and the renderer bridge. A channel that is
 * not in `ipcChannels` does not exist anywhere.
 */

const Empty = z.object({}).strict()

export const Locale = z.enum(['zh-CN', 'en'])
export type Locale = z.infer<typeof Locale>

export const Settings = z.object({
  /** `system` follows the OS (Electron) or browser language. */
  locale: z.union([Locale, z.literal('system')]),
  backendUrl: z.url({ protocol: /^https?$/ }),
  /** `KeyboardEvent.code` of the key that opens the camera, so it does not depend on keyboard layout. */
  cameraTriggerKey: z.string().regex(/^[A-Za-z0-9]{1,20}$/),
  /**
   * `KeyboardEvent.code` of the handheld's scan trigger (its side button sends a key): it starts a scan with the
   * camera. Held down, it repeats; only the first press counts.
   */
  scanTriggerKey: z.string().regex(/^[A-Za-z0-9]{1,20}$/),
  /** Every confirmed payment is spoken aloud (收款播报). */
  announcePayments: z.boolean(),
  /** The tones' and the voice's volume, 0 to 100. */
  volume: z.number().int().min(0).max(100),
})
export type Settings = z.infer<typeof Settings>

export const SettingsPatch = Settings.partial().strict()
export type SettingsPatch = z.infer<typeof SettingsPatch>

export const AppInfo = z.object({
  name: z.literal('Tuotou'),
  version: z.string(),
  host: z.enum(['electron', 'browser']),
  /** Where the device keeps its SQLite file and credentials. */
  dataDir: z.string(),
  /** `file` means OS-level encryption (safeStorage) is not available and a 0600 file is used instead. */
  credentialStore: z.enum(['safeStorage', 'file']),
  kiosk: z.boolean(),
})
export type AppInfo = z.infer<typeof AppInfo>

export const BackendHealth = z.object({
  url: z.string(),
  reachable: z.boolean(),
  checkedAt: z.iso.datetime(),
  latencyMs: z.number().nonnegative().optional(),
  version: z.string().optional(),
  database: z.string().optional(),
  error: z.string().optional(),
})
export type BackendHealth = z.infer<typeof BackendHealth>

/** The device and its courier: enrolled or not, and the shift under way. */
export const ShiftInfo = z.object({
  shiftId: ShiftId,
  staffId: StaffId,
  courierName: z.string(),
  startedAt: Timestamp,
  expiresAt: Timestamp,
  /** The route's day once the manifest is on the device; null until then. */
  routeDate: z.string().nullable(),
  manifestVersion: z.number().int().nullable(),
  manifestLoaded: z.boolean(),
  unverifiedLimits: z.object({ perOrderFen: Fen, perShiftFen: TotalFen }),
  /** How long a prepaid, cash or failed completion can be undone. */
  undoWindowMs: z.number().int().min(0),
  /**
   * The courier logged in on another terminal and the shift moved there: this device still sends what it holds
   * and takes no new action for the shift. Null while the shift is this device's.
   */
  movedTo: z.object({ deviceId: DeviceId.nullable(), at: Timestamp }).nullable(),
})
export type ShiftInfo = z.infer<typeof ShiftInfo>

export const DeviceStatus = z.object({
  enrolled: z.boolean(),
  deviceId: DeviceId.nullable(),
  depotName: z.string().nullable(),
  shift: ShiftInfo.nullable(),
  /** The backend refused the courier's token (401): log in again; nothing queued is touched. */
  needsLogin: z.boolean(),
  /** The depot retired this device: nothing more is sent or recorded; the courier goes on on another terminal. */
  retired: z.object({ at: Timestamp, by: z.string().nullable() }).nullable(),
})
export type DeviceStatus = z.infer<typeof DeviceStatus>

export const EnrollDeviceRequest = z
  .object({ code: EnrollmentCode, label: z.string().trim().min(1).max(64).optional() })
  .strict()
export const LoginRequest = z.object({ staffId: StaffId, pin: Pin }).strict()

/** Manifest download progress: bytes while it downloads, stops while it is stored. */
export const ManifestProgress = z.object({
  phase: z.enum(['downloading', 'storing', 'done', 'failed']),
  /** 0 to 100. */
  percent: z.number().min(0).max(100),
  receivedBytes: z.number().int().min(0),
  totalBytes: z.number().int().min(0).nullable(),
  stops: z.number().int().min(0),
  orders: z.number().int().min(0),
  errorCode: z.string().nullable(),
})
export type ManifestProgress = z.infer<typeof ManifestProgress>

export const ParcelView = z.object({
  parcelId: ParcelId,
  barcode: z.string(),
  index: z.number().int().min(1),
  count: z.number().int().min(1),
  scanned: z.boolean(),
})
export type ParcelView = z.infer<typeof ParcelView>

/**
 * How the device knows an intent was paid: the acquirer said so through the backend (stream, poll, manifest), the
 * customer's receipt QR carried the acquirer's signature, or the courier recorded "paid, to be verified".
 */
export const PaymentConfirmation = z.enum(['acquirer', 'receipt', 'unverified'])
export type PaymentConfirmation = z.infer<typeof PaymentConfirmation>

/** A payment intent as the device holds it; `cancelledByCourier` stays true even if a payment lands later. */
export const PaymentView = z.object({
  intentId: IntentId,
  orderId: OrderId,
  waybill: z.string(),
  amountFen: Fen,
  qrPayload: z.string(),
  status: IntentStatus,
  expiresAt: Timestamp,
  paidAt: Timestamp.nullable(),
  paidFen: Fen.nullable(),
  transactionId: z.string().nullable(),
  shownAt: Timestamp.nullable(),
  cancelledByCourier: z.boolean(),
  /** Null while nothing says it was paid. An unverified payment keeps `status` as the acquirer last stated it. */
  confirmation: PaymentConfirmation.nullable(),
  /** The backend's verdict once it checked the device's claim with the acquirer; null until then. */
  settlement: SettlementVerdict.nullable(),
})
export type PaymentView = z.infer<typeof PaymentView>

/** Something about an order the depot must put right; shown to the courier, never merged away. */
export const OrderFlagKind = z.enum([
  'late_payment_after_cash',
  'late_payment_after_failure',
  'payment_on_closed_order',
  'double_payment',
  'unverified_not_found',
  /** The customer's code was charged after the charge was revoked: the backend refunds it by itself. */
  'payment_after_revoke',
])
export type OrderFlagKind = z.infer<typeof OrderFlagKind>

export const OrderFlag = z.object({
  orderId: OrderId,
  waybill: z.string(),
  kind: OrderFlagKind,
  intentId: IntentId.nullable(),
  amountFen: Fen,
  source: z.enum(['device', 'backend']),
  raisedAt: Timestamp,
})
export type OrderFlag = z.infer<typeof OrderFlag>

/**
 * A split payment under way or done for an order: the digital part through its own intent (its QR, or the
 * customer's code), the rest in cash. `digital_pending` until the part is paid, then `cash_pending` until the
 * courier confirms the cash rest, then `done`. It survives a restart of the core.
 */
export const SplitView = z.object({
  digitalFen: Fen,
  cashFen: Fen,
  intentId: IntentId,
  state: z.enum(['digital_pending', 'cash_pending', 'done']),
})
export type SplitView = z.infer<typeof SplitView>

export const OrderView = z.object({
  orderId: OrderId,
  stopId: StopId,
  stopSequence: z.number().int().min(1),
  waybill: z.string(),
  codFen: Fen,
  maskedName: z.string(),
  maskedPhone: z.string(),
  address: z.string(),
  status: OrderStatus,
  attempt: z.number().int().min(1),
  parcels: z.array(ParcelView),
  scannedCount: z.number().int().min(0),
  /** Whether every parcel is scanned, so collection may start. */
  readyToCollect: z.boolean(),
  method: DeliveryMethod.nullable(),
  collectedFen: Fen.nullable(),
  failureReason: FailureReason.nullable(),
  closedAt: Timestamp.nullable(),
  payment: PaymentView.nullable(),
  flags: z.array(OrderFlag),
  /** Calls to the customer for this attempt (through a virtual number): evidence for a "not home". */
  calls: z.array(z.object({ at: Timestamp, number: z.string() })),
  /** The proof its policy asks for (null: none); absent from an older core. */
  proof: ProofView.nullable().optional(),
  /** The split payment opened for it (null: none); absent from an older core. */
  split: SplitView.nullable().optional(),
})
export type OrderView = z.infer<typeof OrderView>

export const ShiftCounters = z.object({
  delivered: z.number().int().min(0),
  failed: z.number().int().min(0),
  toGo: z.number().int().min(0),
  digitalFen: TotalFen,
  cashFen: TotalFen,
})
export type ShiftCounters = z.infer<typeof ShiftCounters>

export const RouteOrder = z.object({
  orderId: OrderId,
  waybill: z.string(),
  /** For finding the stop by the recipient (masked, e.g. 吴*). */
  maskedName: z.string(),
  codFen: Fen,
  parcelCount: z.number().int().min(1),
  scannedCount: z.number().int().min(0),
  status: OrderStatus,
  method: DeliveryMethod.nullable(),
})
export type RouteOrder = z.infer<typeof RouteOrder>

export const RouteStop = z.object({
  stopId: StopId,
  sequence: z.number().int().min(1),
  address: z.string(),
  /** `done` once no order at the stop is pending. */
  status: z.enum(['pending', 'partial', 'done']),
  /** The stop's orders together. */
  codFen: TotalFen,
  parcelCount: z.number().int().min(0),
  orders: z.array(RouteOrder),
  /** Skipped for now (it moved to the end of the route), and why; null otherwise. */
  skippedReason: StopMoveReason.nullable(),
})
export type RouteStop = z.infer<typeof RouteStop>

export const RouteView = z.object({
  shiftId: ShiftId,
  routeDate: z.string(),
  manifestVersion: z.number().int(),
  stops: z.array(RouteStop),
  counters: ShiftCounters,
  /** The first stop in route order with a pending order; null when the round is done. */
  nextStopId: StopId.nullable(),
})
export type RouteView = z.infer<typeof RouteView>

/**
 * Up to 256 characters: a receipt token is longer than a waybill. Which order is in hand is the core's to know
 * (the last accepted scan), so a scan carries only what was read.
 */
export const ScanRequest = z.object({ code: z.string().max(256), source: ScanSource }).strict()

/**
 * What is open for the order in hand: its QR (the customer may be paying), the cash panel, or a charge of the
 * customer's payment code (付款码) the courier scanned.
 */
export const Collecting = z.enum(['qr', 'cash', 'charge'])
export type Collecting = z.infer<typeof Collecting>

/**
 * A charge of the customer's payment code as the device follows it: the backend's states (`shared/api/charges.ts`)
 * plus `offline`, the device's own: there was no coverage to send it, so nothing was charged (offer the QR, a
 * receipt or cash).
 */
export const ChargeViewState = z.enum(['sending', 'user_paying', 'unknown', 'paid', 'failed', 'revoked', 'offline'])
export type ChargeViewState = z.infer<typeof ChargeViewState>

export const ChargeView = z.object({
  orderId: OrderId,
  intentId: IntentId,
  waybill: z.string(),
  amountFen: Fen,
  /** The backend's charge number; null until it answered. */
  chargeNo: z.string().nullable(),
  state: ChargeViewState,
  failure: ChargeFailure.nullable(),
  /** For a wallet limit: the limit in the way, so the courier can say it in the customer's terms. */
  limitFen: Fen.nullable(),
  /** The code's first two and last four digits: a code is money until it is used. */
  code: z.string(),
  /** Past this (backend time), a charge neither paid nor failed is revoked. */
  deadlineAt: Timestamp.nullable(),
  updatedAt: Timestamp,
})
export type ChargeView = z.infer<typeof ChargeView>

/** The courier scanned the customer's payment code (付款码) for the order in hand. Needs coverage. */
export const ChargeCodeRequest = z
  .object({ orderId: OrderId, code: z.string().min(1).max(64), source: ScanSource })
  .strict()

export const ScanOutcome = z.discriminatedUnion('outcome', [
  z.object({
    outcome: z.literal('accepted'),
    order: OrderView,
    /** The parcel this scan marked; null for a bare waybill of a multi-parcel order. */
    parcelIndex: z.number().int().min(1).nullable(),
    /** False when the parcel had been scanned already. */
    newlyScanned: z.boolean(),
    /** A prepaid order completes on its last parcel's scan. */
    completed: z.boolean(),
  }),
  z.object({
    /** A customer's receipt QR whose acquirer signature checked out offline: the payment is recorded. */
    outcome: z.literal('receipt'),
    order: OrderView,
    payment: PaymentView,
    /** The receipt completed the delivery ("paid, receipt verified"). */
    completed: z.boolean(),
    /** The device knew of this payment already (pushed, polled, or the same receipt twice): nothing new. */
    alreadyKnown: z.boolean(),
    /** A valid receipt for an order already closed (cash taken, failed): kept and flagged for the depot. */
    flag: OrderFlag.nullable(),
  }),
  z.object({
    /** A customer's payment code scanned while an order was in hand, ready to collect: it is being charged. */
    outcome: z.literal('charge'),
    order: OrderView,
    charge: ChargeView,
  }),
  z.object({
    outcome: z.literal('refused'),
    reason: ScanRefusal,
    /** What was read, cut to 64 characters, as logged. */
    code: z.string(),
    waybill: z.string().nullable(),
    /** For `order_closed`: why the order is closed. */
    orderStatus: OrderStatus.nullable(),
  }),
  z.object({
    /**
     * A parcel of another order scanned while a collection is open: nothing is recorded yet, and the courier is
     * asked whether to keep the current order or switch to the new parcel (`resolveScanConflict`).
     */
    outcome: z.literal('conflict'),
    code: z.string(),
    /** The order the new parcel belongs to. */
    order: OrderView,
    /** The order in hand, whose collection is open. */
    current: OrderView,
    collecting: Collecting,
  }),
])
export type ScanOutcome = z.infer<typeof ScanOutcome>

export const OrderRequest = z.object({ orderId: OrderId }).strict()

/** A split payment for the order in hand: the digital part (¥0.01 up to less than the amount due); the rest is cash. */
export const StartSplitRequest = z.object({ orderId: OrderId, digitalFen: Fen.min(1) }).strict()

/** Move a stop one place later, or skip it for now (to the end of the route), with the courier's reason. */
export const MoveStopRequest = z
  .object({ stopId: StopId, move: z.enum(['later', 'skip']), reason: StopMoveReason })
  .strict()

/** A virtual number (隐私号) bound for one order: the courier calls it, the customer's own number never shows. */
export const CallBinding = z.object({
  orderId: OrderId,
  number: z.string(),
  extension: z.string().nullable(),
  validUntil: Timestamp,
})
export type CallBinding = z.infer<typeof CallBinding>

export const StartCashResult = z.object({
  /** `cancelled`: the backend cancelled the intent; `recorded`: no coverage, cancelled on sync; `none`: nothing to cancel. */
  intentCancellation: z.enum(['cancelled', 'recorded', 'none']),
  /** The intent had been paid already: the order completed as digital, take no cash. */
  alreadyPaid: z.boolean(),
  order: OrderView,
})
export type StartCashResult = z.infer<typeof StartCashResult>

export const RecordCashRequest = z
  .object({
    orderId: OrderId,
    takenFen: Fen,
    /** Required when the amount taken differs from the amount due. */
    confirmMismatch: z.boolean().default(false),
  })
  .strict()

export const RecordFailureRequest = z.object({ orderId: OrderId, reason: FailureReason }).strict()

/** A change to a payment the core learned (stream, poll, renewal); `completed` when it finished the delivery. */
export const PaymentUpdate = z.object({
  orderId: OrderId,
  payment: PaymentView,
  orderStatus: OrderStatus,
  completed: z.boolean(),
  flag: OrderFlag.nullable(),
})
export type PaymentUpdate = z.infer<typeof PaymentUpdate>

/** "Paid, to be verified": the limits from login and what this shift has used of them. */
export const UnverifiedAllowance = z.object({
  perOrderFen: Fen,
  perShiftFen: TotalFen,
  usedFen: TotalFen,
  remainingFen: TotalFen,
})
export type UnverifiedAllowance = z.infer<typeof UnverifiedAllowance>

export const ShiftSummary = z.object({
  shift: ShiftInfo,
  counters: ShiftCounters,
  /** Stops with an order still to deliver. */
  stopsLeft: z.number().int().min(0),
  /** Cash collected, to hand in at the depot. */
  cashToHandInFen: TotalFen,
  declaredCashFen: TotalFen.nullable(),
  declaredAt: Timestamp.nullable(),
  ordersTotal: z.number().int().min(0),
  pendingEvents: z.number().int().min(0),
  flags: z.array(OrderFlag),
  closedAt: Timestamp.nullable(),
  unverified: UnverifiedAllowance,
  /**
   * The shift's money as the acquirer and the depot have it: digital confirmed, awaiting and owed, cash,
   * collected, refunds paid back and still due, and net (collected less refunds paid back).
   */
  money: MoneyFigures,
})
export type ShiftSummary = z.infer<typeof ShiftSummary>

export const DeclareCashRequest = z.object({ declaredFen: TotalFen }).strict()
/**
 * Ending the shift while something is open (stops left, events not sent, cash not declared) needs
 * `confirmOpen`; without it the core answers `shift.open_items` with what is open, and changes nothing.
 */
export const CloseShiftRequest = z.object({ confirmOpen: z.boolean().default(false) }).strict()

/** What is open when a courier ends the shift: the end-of-shift confirmation lists it. */
export const ShiftOpenItems = z.object({
  stopsLeft: z.number().int().min(0),
  ordersLeft: z.number().int().min(0),
  pendingEvents: z.number().int().min(0),
  /** Cash collected this shift while no declaration was made; 0 when declared or none was taken. */
  cashUndeclaredFen: TotalFen,
})
export type ShiftOpenItems = z.infer<typeof ShiftOpenItems>

/** A prepaid, cash or failed completion the courier can still undo, and until when (device clock). */
export const UndoWindow = z.object({
  orderId: OrderId,
  waybill: z.string(),
  method: z.enum(['prepaid', 'cash', 'failed']),
  amountFen: Fen,
  until: Timestamp,
  windowMs: z.number().int().min(0),
})
export type UndoWindow = z.infer<typeof UndoWindow>

/**
 * A completion the courier did not just watch: a payment that landed after they moved on, or one the route's
 * refresh brought. It stays until dismissed or replaced by the next.
 */
export const CompletionNotice = z.object({
  id: z.number().int().min(1),
  orderId: OrderId,
  waybill: z.string(),
  amountFen: Fen,
  method: DeliveryMethod,
  confirmation: PaymentConfirmation.nullable(),
  at: Timestamp,
})
export type CompletionNotice = z.infer<typeof CompletionNotice>

/**
 * The doorstep as the core holds it: the order in hand is the only order anything can be collected for, and it
 * is the last accepted scan (a refusal, a completion or a switch lets it go).
 */
export const DoorstepView = z.object({
  order: OrderView.nullable(),
  /**
   * How the order came to be in hand: its parcel was scanned (everything can be done), or it was opened from the
   * route (calling and a failure can; collecting needs the parcel's scan first).
   */
  how: z.enum(['scanned', 'opened']).nullable(),
  collecting: Collecting.nullable(),
  /** A scan that arrived during a collection, waiting for the courier to keep or switch. */
  conflict: z.object({ code: z.string(), orderId: OrderId, waybill: z.string() }).nullable(),
  undo: UndoWindow.nullable(),
  notice: CompletionNotice.nullable(),
})
export type DoorstepView = z.infer<typeof DoorstepView>

/** What the sync engine knows: coverage (the backend actually answered), the queue, and what blocks it. */
export const SyncStatus = z.object({
  online: z.boolean(),
  /** The device stream (payment pushes) is connected. */
  streaming: z.boolean(),
  pending: z.number().int().min(0),
  oldestPendingAt: Timestamp.nullable(),
  rejected: z.number().int().min(0),
  lastSyncAt: Timestamp.nullable(),
  /** When the next push is due after a failure; null when none is waiting. */
  nextRetryAt: Timestamp.nullable(),
  needsLogin: z.boolean(),
  lastError: z.string().nullable(),
  /** Items on the "needs attention" list still open: rejected events, flags, unverified payments not verified. */
  attention: z.number().int().min(0),
  /**
   * How far the device's clock is off the backend's (backend minus device, ms), as last measured; null before the
   * backend was first reached. The terminal shows it once it is over two minutes.
   */
  clockSkewMs: z.number().int().nullable(),
})
export type SyncStatus = z.infer<typeof SyncStatus>

/** Events the backend refused, kept for the courier's attention. */
export const RejectedEvent = z.object({
  seq: z.number().int().min(1),
  type: z.string(),
  occurredAt: Timestamp,
  reason: z.string(),
  orderId: OrderId.nullable(),
  waybill: z.string().nullable(),
})
export type RejectedEvent = z.infer<typeof RejectedEvent>

/** A "paid, to be verified" payment and, once the backend checked it with the acquirer, its verdict. */
export const UnverifiedPayment = z.object({
  orderId: OrderId,
  waybill: z.string(),
  intentId: IntentId,
  amountFen: Fen,
  recordedAt: Timestamp,
  settlement: SettlementVerdict.nullable(),
  settledAt: Timestamp.nullable(),
})
export type UnverifiedPayment = z.infer<typeof UnverifiedPayment>

/**
 * The courier's "needs attention" list: events the depot refused (kept, never dropped), the shift's flags, and
 * its unverified payments with their settlement.
 */
export const Attention = z.object({
  rejected: z.array(RejectedEvent),
  flags: z.array(OrderFlag),
  unverified: z.array(UnverifiedPayment),
})
export type Attention = z.infer<typeof Attention>

/** How many items on the list are still open: a verified payment is settled, everything else waits on someone. */
export function openAttention(list: Attention): number {
  return list.rejected.length + list.flags.length + list.unverified.filter((u) => u.settlement !== 'verified').length
}

interface ChannelSpec {
  request: z.ZodType
  response: z.ZodType
}

const channel = <Req extends z.ZodType, Res extends z.ZodType>(request: Req, response: Res) => ({ request, response })

/** Request/response channels: the renderer calls, the device core answers. */
export const ipcChannels = {
  getAppInfo: channel(Empty, AppInfo),
  getSettings: channel(Empty, Settings),
  updateSettings: channel(SettingsPatch, Settings),
  checkBackend: channel(Empty, BackendHealth),

  getDeviceStatus: channel(Empty, DeviceStatus),
  enrollDevice: channel(EnrollDeviceRequest, DeviceStatus),
  /** The battery as the renderer reads it (the Battery Status API), for the depot: sent with the next heartbeat. */
  reportBattery: channel(DeviceBattery, Empty),
  login: channel(LoginRequest, DeviceStatus),
  downloadManifest: channel(Empty, ManifestProgress),

  getRoute: channel(Empty, RouteView),
  getOrder: channel(OrderRequest, OrderView),
  scanBarcode: channel(ScanRequest, ScanOutcome),

  showPaymentQr: channel(OrderRequest, PaymentView),
  renewPaymentQr: channel(OrderRequest, PaymentView),
  /** Back from the QR or the cash panel: nothing is open for the order in hand; a shown QR stays payable. */
  leavePayment: channel(OrderRequest, Empty),
  startCash: channel(OrderRequest, StartCashResult),
  /**
   * Charges the customer's payment code for the order in hand and follows the charge to its end (`chargeUpdated`);
   * a wedge scan of a payment code does the same through `scanBarcode`.
   */
  chargePaymentCode: channel(ChargeCodeRequest, ChargeView),
  /** The order's latest charge of a customer's code, as the device knows it; null when there is none. */
  getCharge: channel(OrderRequest, ChargeView.nullable()),
  /** "Paid, to be verified": completes the order as digital within the limits, for the backend to settle. */
  recordUnverified: channel(OrderRequest, OrderView),
  getUnverifiedAllowance: channel(Empty, UnverifiedAllowance),
  recordCash: channel(RecordCashRequest, OrderView),
  /**
   * Opens a split payment (needs coverage): an intent for the digital part replaces the whole-amount one, and its
   * QR is shown (the customer's code can pay it too). Asking again for the same part resumes it.
   */
  startSplit: channel(StartSplitRequest, OrderView),
  /** The split's digital part is paid: the courier took the cash rest (exactly), and the delivery completes. */
  recordSplitCash: channel(OrderRequest, OrderView),
  recordFailure: channel(RecordFailureRequest, OrderView),

  getDoorstep: channel(Empty, DoorstepView),
  /** Keep the collection in hand (the new scan is logged as refused) or switch to the new parcel. */
  resolveScanConflict: channel(z.object({ choice: z.enum(['keep', 'switch']) }).strict(), ScanOutcome),
  /** Undo a prepaid, cash or failed completion inside its window: the order is open and in hand again. */
  undoDelivery: channel(OrderRequest, OrderView),
  /** Hand over a prepaid order in hand whose completion was undone. */
  deliverPrepaid: channel(OrderRequest, OrderView),
  dismissNotice: channel(z.object({ id: z.number().int().min(1) }).strict(), DoorstepView),
  /** Opens a stop's order from the route: calling and a failure can be done; collecting needs its scan. */
  openOrder: channel(OrderRequest, OrderView),
  moveStop: channel(MoveStopRequest, RouteView),
  /** Binds a virtual number for the order's customer and records the call attempt; needs coverage. */
  callCustomer: channel(OrderRequest, CallBinding),
  /** How the order in hand is handed over (recipient, family, door, locker, point): it decides the proof asked. */
  chooseHandover: channel(ChooseHandoverRequest, OrderView),
  /** One try at the delivery code, checked offline; a wrong one says only that it is wrong, and tries left. */
  submitDeliveryCode: channel(
    SubmitCodeRequest,
    z.object({ ok: z.boolean(), triesLeft: z.number().int().min(0), order: OrderView }),
  ),
  /** Completes without the proof asked, with a reason (and who approved it), recorded for the depot. */
  overrideProof: channel(OverrideProofRequest, OrderView),
  /** Stores a photo or signature for the order in hand (file first, then its event): it meets that kind of proof. */
  captureEvidence: channel(CaptureEvidenceRequest, OrderView),

  getShiftSummary: channel(Empty, ShiftSummary),
  declareCash: channel(DeclareCashRequest, ShiftSummary),
  closeShift: channel(CloseShiftRequest, DeviceStatus),

  getSyncStatus: channel(Empty, SyncStatus),
  syncNow: channel(Empty, SyncStatus),
  getRejectedEvents: channel(Empty, z.array(RejectedEvent)),
  getAttention: channel(Empty, Attention),
  /** The courier has seen a refused event: it leaves the list (the depot still has it; the device keeps the row). */
  acknowledgeRejected: channel(z.object({ seq: z.number().int().min(1) }).strict(), Attention),
} satisfies Record<string, ChannelSpec>

/** Events the device core pushes to the renderer. */
export const ipcEvents = {
  settingsChanged: Settings,
  backendHealth: BackendHealth,
  deviceStatus: DeviceStatus,
  manifestProgress: ManifestProgress,
  /** Orders changed (a delivery closed, the manifest moved): reload the route. */
  routeChanged: z.object({ orderIds: z.array(OrderId) }),
  paymentUpdated: PaymentUpdate,
  /** A charge of the customer's payment code moved on (waiting for their PIN, paid, failed, revoked…). */
  chargeUpdated: ChargeView,
  orderFlagged: OrderFlag,
  syncStatus: SyncStatus,
  /** The "needs attention" list changed: an event refused, a flag raised, a settlement verdict. */
  attentionChanged: Attention,
  /** The order in hand, its collection, the undo window or the completion notice changed. */
  doorstepChanged: DoorstepView,
} satisfies Record<string, z.ZodType>

export type IpcChannel = keyof typeof ipcChannels
export type IpcEvent = keyof typeof ipcEvents
export type IpcRequest<C extends IpcChannel> = z.input<(typeof ipcChannels)[C]['request']>
export type IpcResponse<C extends IpcChannel> = z.output<(typeof ipcChannels)[C]['response']>
export type IpcEventPayload<E extends IpcEvent> = z.output<(typeof ipcEvents)[E]>

export const ipcChannelNames = Object.keys(ipcChannels) as IpcChannel[]
export const ipcEventNames = Object.keys(ipcEvents) as IpcEvent[]

export function isIpcChannel(name: string): name is IpcChannel {
  return Object.hasOwn(ipcChannels, name)
}

export function isIpcEvent(name: string): name is IpcEvent {
  return Object.hasOwn(ipcEvents, name)
}
