import { TuotouError } from '../errors'
import { decodeObjects, decodePayload, type EmvObject } from './tlv'

/**
 * A general reader of EMVCo Merchant-Presented Mode payloads (EMV QRCPS-MPM): any well-formed payload, such as the
 * specification's own example, reads here; what a collection needs is asked for afterwards (`collection-qr.ts`).
 * Every template's inner objects are read and their lengths checked, so an inner length changed under a
 * recomputed CRC is refused.
 */
export interface MpmPayload {
  /** The top-level objects in the order they came, tag 63 last. */
  objects: EmvObject[]
  /** Top-level tag → value. */
  values: Map<string, string>
  /** Each template's inner objects, tag → value: merchant accounts (26–51), 62, 64 and 80–99. */
  templates: Map<string, Map<string, string>>
  /** Tag 01 says 12 (one payment) rather than 11 (reusable). */
  dynamic: boolean
  /** Tag 64, the Merchant Information – Language Template, when there is one. */
  language: { code: string; name: string; city: string | null } | null
}

/** Templates: their values are data objects in turn. */
export function isTemplateTag(tag: string): boolean {
  const n = Number(tag)
  return (n >= 26 && n <= 51) || n === 62 || n === 64 || (n >= 80 && n <= 99)
}

/** Merchant account information: 02–25 primitive (card schemes), 26–51 templates. */
const isMerchantAccount = (tag: string): boolean => Number(tag) >= 2 && Number(tag) <= 51

function bad(tag: string, message: string): never {
  throw new TuotouError('qr.bad_value', `tag ${tag}: ${message}`, { tag })
}

/** EMVCo's "ans" set: what tags 59 and 60 may hold (printable ASCII). */
const ANS = /^[\x20-\x7e]+$/
const NUMERIC = /^\d+$/
const AMOUNT = /^(?=.*\d)\d*(\.\d*)?$/

function length(tag: string, value: string, max: number, exact = false): void {
  const n = [...value].length
  if (exact ? n !== max : n > max) bad(tag, `is ${exact ? '' : 'at most '}${max} characters, not ${n}`)
}

function checkTopLevel(values: Map<string, string>): void {
  const get = (tag: string): string => {
    const value = values.get(tag)
    if (value === undefined) throw new TuotouError('qr.missing_tag', `payload has no tag ${tag}`, { tag })
    return value
  }
  if (get('00') !== '01') bad('00', 'payload format indicator must be 01')
  const initiation = values.get('01')
  if (initiation !== undefined && initiation !== '11' && initiation !== '12')
    bad('01', 'is 11 (static) or 12 (dynamic)')
  if (![...values.keys()].some(isMerchantAccount)) {
    throw new TuotouError('qr.missing_tag', 'payload has no merchant account information (tags 02–51)', {
      tag: '02-51',
    })
  }
  const mcc = get('52')
  if (!NUMERIC.test(mcc)) bad('52', 'merchant category code is four digits')
  length('52', mcc, 4, true)
  const currency = get('53')
  if (!NUMERIC.test(currency)) bad('53', 'currency is an ISO 4217 numeric code')
  length('53', currency, 3, true)
  const amount = values.get('54')
  if (amount !== undefined) {
    if (!AMOUNT.test(amount)) bad('54', `amount ${JSON.stringify(amount)} is not a decimal`)
    length('54', amount, 13)
  }
  length('58', get('58'), 2, true)
  const name = get('59')
  const city = get('60')
  if (!ANS.test(name)) bad('59', 'merchant name is printable ASCII (EMVCo "ans"); a Chinese name goes in tag 64')
  if (!ANS.test(city)) bad('60', 'merchant city is printable ASCII (EMVCo "ans"); a Chinese city goes in tag 64')
  length('59', name, 25)
  length('60', city, 15)
  const postal = values.get('61')
  if (postal !== undefined) length('61', postal, 10)
}

function checkTemplate(tag: string, inner: Map<string, string>): void {
  if (isMerchantAccount(tag) || Number(tag) >= 80) {
    const id = inner.get('00')
    if (id === undefined) {
      throw new TuotouError('qr.missing_tag', `template ${tag} has no globally unique identifier (00)`, {
        tag: `${tag}.00`,
      })
    }
    length(`${tag}.00`, id, 32)
  }
  if (tag === '64') {
    const code = inner.get('00')
    const name = inner.get('01')
    if (code === undefined || name === undefined) {
      throw new TuotouError('qr.missing_tag', 'the language template (64) needs a language (00) and a name (01)', {
        tag: code === undefined ? '64.00' : '64.01',
      })
    }
    if (!/^[A-Za-z]{2}$/.test(code)) bad('64.00', 'language is two letters (ISO 639), e.g. ZH')
    length('64.01', name, 25)
    const city = inner.get('02')
    if (city !== undefined) length('64.02', city, 15)
  }
}

/**
 * Reads any EMVCo MPM payload: CRC, every length (inside templates too), tag 00 first and 63 last, and the
 * mandatory fields with their formats. Refusals: `qr.bad_length`, `qr.malformed`, `qr.bad_crc`, `qr.missing_tag`,
 * `qr.bad_value`, each saying where.
 */
export function decodeMpm(payload: string): MpmPayload {
  const values = decodePayload(payload)
  const objects = decodeObjects(payload)
  if (objects[0]?.tag !== '00') throw new TuotouError('qr.malformed', 'tag 00 must be the first object')
  checkTopLevel(values)
  const templates = new Map<string, Map<string, string>>()
  for (const { tag, value } of objects) {
    if (!isTemplateTag(tag)) continue
    const inner = new Map(decodeObjects(value, tag).map((object) => [object.tag, object.value]))
    checkTemplate(tag, inner)
    templates.set(tag, inner)
  }
  const language = templates.get('64')
  return {
    objects,
    values,
    templates,
    dynamic: values.get('01') === '12',
    language: language
      ? { code: language.get('00')!.toUpperCase(), name: language.get('01')!, city: language.get('02') ?? null }
      : null,
  }
}
