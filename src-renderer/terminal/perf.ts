/**
 * Performance marks the benchmarks read (`bench/terminal.bench.ts`) through Playwright, on the real UI:
 * burst end → order card painted, tap → QR painted, and when "paid" was painted (wall clock, to compare with the
 * acquirer's confirmation). Measures are named so a bench reads `performance.getEntriesByName(MEASURE_…)`.
 */
export const MARK_SCAN_END = 'tt:scan-end'
export const MARK_ORDER_CARD = 'tt:order-card-visible'
export const MEASURE_SCAN_TO_CARD = 'tt:scan-to-card'
export const MARK_PAY_TAP = 'tt:pay-digital-tap'
export const MARK_QR_VISIBLE = 'tt:qr-visible'
export const MEASURE_TAP_TO_QR = 'tt:tap-to-qr'
export const MARK_PAID_VISIBLE = 'tt:paid-visible'
export const MARK_TONE = 'tt:tone'
/** When a confirmed payment starts being spoken (`detail.intentId`, `detail.wallClock`): confirmation → speech. */
export const MARK_SPEECH_START = 'tt:speech-start'

/** Runs `then` once the current DOM changes have been painted: after the next frame's paint. */
export function afterPaint(then: () => void): void {
  requestAnimationFrame(() => setTimeout(then, 0))
}

export function markScanEnd(endedAt: number): void {
  performance.mark(MARK_SCAN_END, { startTime: endedAt })
}

export function markOrderCardVisible(): void {
  performance.mark(MARK_ORDER_CARD)
  if (performance.getEntriesByName(MARK_SCAN_END).length > 0) {
    performance.measure(MEASURE_SCAN_TO_CARD, MARK_SCAN_END, MARK_ORDER_CARD)
    performance.clearMarks(MARK_SCAN_END)
  }
}

export function markPayTap(at: number): void {
  performance.mark(MARK_PAY_TAP, { startTime: at })
}

export function markQrVisible(): void {
  performance.mark(MARK_QR_VISIBLE)
  if (performance.getEntriesByName(MARK_PAY_TAP).length > 0) {
    performance.measure(MEASURE_TAP_TO_QR, MARK_PAY_TAP, MARK_QR_VISIBLE)
    performance.clearMarks(MARK_PAY_TAP)
  }
}

/** `detail.wallClock` is epoch ms, comparable with times taken outside the page. */
export function markPaidVisible(intentId: string): void {
  performance.mark(MARK_PAID_VISIBLE, { detail: { intentId, wallClock: performance.timeOrigin + performance.now() } })
}

export function markTone(tone: string): void {
  performance.mark(MARK_TONE, { detail: { tone } })
}

export function markSpeechStart(intentId: string, wallClock: number): void {
  performance.mark(MARK_SPEECH_START, { detail: { intentId, wallClock } })
}

export const MARK_CHARGE_PAID = 'tt:charge-paid-visible'
/** The wedge scan of the customer's payment code → "paid" painted on the charge screen. */
export const MEASURE_SCAN_TO_CHARGE_PAID = 'tt:scan-to-charge-paid'

export function markChargePaid(intentId: string): void {
  markPaidVisible(intentId)
  performance.mark(MARK_CHARGE_PAID)
  if (performance.getEntriesByName(MARK_SCAN_END).length > 0) {
    performance.measure(MEASURE_SCAN_TO_CHARGE_PAID, MARK_SCAN_END, MARK_CHARGE_PAID)
    performance.clearMarks(MARK_SCAN_END)
  }
}
