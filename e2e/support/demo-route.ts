import { demoStops } from '../../backend/seed/demo'
import { parcelBarcode } from '../../shared/waybill'

export interface DemoOrder {
  /** 1-based, in route order. */
  n: number
  stop: number
  waybill: string
  codFen: number
  barcodes: string[]
}

/**
 * The demo courier's route as `--seed demo` builds it for `routeDate`: the same generator, so a test can pick
 * "a prepaid order" or "a two-parcel order" without reading the terminal's screen first.
 */
export function demoRoute(routeDate: string): DemoOrder[] {
  const compact = routeDate.replace(/-/g, '').slice(2)
  const orders: DemoOrder[] = []
  demoStops().forEach((stop, s) => {
    for (const order of stop.orders) {
      const n = orders.length + 1
      const waybill = `JDVA${compact}${String(n).padStart(5, '0')}`
      const count = order.parcels ?? 1
      orders.push({
        n,
        stop: s + 1,
        waybill,
        codFen: order.codFen,
        barcodes: Array.from({ length: count }, (_, i) => parcelBarcode(waybill, i + 1, count)),
      })
    }
  })
  return orders
}

/** The first order matching `test`, or a clear failure when the seed has none. */
export function pickOrder(route: DemoOrder[], what: string, test: (order: DemoOrder) => boolean): DemoOrder {
  const found = route.find(test)
  if (!found) throw new Error(`the demo route has no ${what}`)
  return found
}
