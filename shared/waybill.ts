import { TuotouError } from './errors'

/** A waybill number: `JD`, two capital letters, eleven digits, as in `JDVA00012345678`. */
export const WAYBILL = /^JD[A-Z]{2}\d{11}$/
/** A parcel label: the waybill, the parcel's index and the order's parcel count, as in `JDVA00012345678-1-2-`. */
export const PARCEL_BARCODE = /^(JD[A-Z]{2}\d{11})-([1-9]\d?)-([1-9]\d?)-$/

export type ParsedBarcode =
  | { kind: 'parcel'; waybill: string; index: number; count: number; barcode: string }
  | { kind: 'waybill'; waybill: string; barcode: string }

/** The label printed on parcel `index` of `count`. */
export function parcelBarcode(waybill: string, index: number, count: number): string {
  if (!WAYBILL.test(waybill)) throw new RangeError(`not a waybill: ${waybill}`)
  if (!Number.isInteger(count) || count < 1 || count > 99 || !Number.isInteger(index) || index < 1 || index > count) {
    throw new RangeError(`bad parcel ${index} of ${count}`)
  }
  return `${waybill}-${index}-${count}-`
}

/**
 * Reads a scanned code as a parcel label or a bare waybill. Anything else (a garbled read, a code from another
 * carrier, index 3 of 2) is refused with `scan.malformed`; the caller still logs the attempt.
 */
export function parseBarcode(raw: string): ParsedBarcode {
  const code = raw.trim().toUpperCase()
  if (WAYBILL.test(code)) return { kind: 'waybill', waybill: code, barcode: code }
  const match = PARCEL_BARCODE.exec(code)
  if (match) {
    const index = Number(match[2])
    const count = Number(match[3])
    if (index <= count) return { kind: 'parcel', waybill: match[1]!, index, count, barcode: code }
  }
  throw new TuotouError('scan.malformed', `not a waybill or parcel label: ${JSON.stringify(raw.slice(0, 64))}`, {
    code: raw.slice(0, 64),
  })
}
