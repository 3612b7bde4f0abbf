/**
 * The virtual-number service (隐私号): it binds a number the courier can dial to the customer's real one for a
 * while, so the real number never reaches the courier's device. A real provider's client implements this; the
 * sandbox one (`sandbox.ts`) stands in for it here.
 */
export interface TelephonyProvider {
  readonly name: string
  /** Binds a number (and extension) to `customerPhone` until `untilMs`; the same order may be bound again. */
  bind(request: { orderId: string; customerPhone: string; untilMs: number }): Promise<{
    bindingId: string
    number: string
    extension: string | null
  }>
}
