import { TuotouError } from '../errors'
import { fenToDecimal, MAX_FEN, parseYuan } from '../money'
import { decodeMpm } from './mpm'
import { encodeObjects, withCrc } from './tlv'

/** Merchant category code for courier services. */
export const MCC_COURIER = '4215'
/** ISO 4217 numeric code for the renminbi. */
export const CURRENCY_CNY = '156'

/** What a dynamic collection QR says: who collects, how much, and for which waybill, intent and device. */
export interface CollectionQr {
  /** Tag 26.00: the acquirer's globally unique identifier. */
  acquirerId: string
  /** Tag 26.01: the merchant's account with that acquirer. */
  merchantId: string
  amountFen: number
  /** Tag 59, at most 25 characters. */
  merchantName: string
  /** Tag 60, at most 15 characters. */
  merchantCity: string
  /** Tag 62.01 (bill number). */
  waybill: string
  /** Tag 62.05 (reference label). */
  intentId: string
  /** Tag 62.07 (terminal label). */
  deviceId: string
  /** Tag 64.01, the merchant's name in Chinese (the wallet shows it), at most 25 characters. */
  merchantNameZh?: string
  /** Tag 64.02, the city in Chinese, at most 15 characters. */
  merchantCityZh?: string
}

const PRINTABLE = /^[\x20-\x7e]+$/

/** A language-template value: any text but control characters, counted in characters, not bytes. */
function localField(value: string, name: string, max: number): string {
  const length = [...value].length
  // eslint-disable-next-line no-control-regex
  if (length === 0 || length > max || /[\x00-\x1f\x7f]/.test(value)) {
    throw new RangeError(`${name} must be 1 to ${max} characters`)
  }
  return value
}

function field(value: string, name: string, max: number): string {
  if (value.length === 0 || value.length > max || !PRINTABLE.test(value)) {
    throw new RangeError(`${name} must be 1 to ${max} printable ASCII characters`)
  }
  return value
}

/**
 * Writes an EMVCo Merchant-Presented Mode payload, dynamic (tag 01 = 12), in CNY, for one order's payment.
 * Refuses what EMVCo cannot carry (a merchant name over 25 characters, a fractional amount) rather than
 * truncating it. Tags 59 and 60 carry ASCII ("ans"); the Chinese name and city go in the language template,
 * tag 64, whose lengths count characters while the CRC runs over the UTF-8 bytes.
 */
export function encodeCollectionQr(qr: CollectionQr): string {
  if (!Number.isSafeInteger(qr.amountFen) || qr.amountFen <= 0 || qr.amountFen > MAX_FEN) {
    throw new RangeError(`amount must be a positive integer of fen, not ${qr.amountFen}`)
  }
  const account = encodeObjects([
    { tag: '00', value: field(qr.acquirerId, 'acquirerId', 32) },
    { tag: '01', value: field(qr.merchantId, 'merchantId', 32) },
  ])
  const additional = encodeObjects([
    { tag: '01', value: field(qr.waybill, 'waybill', 25) },
    { tag: '05', value: field(qr.intentId, 'intentId', 25) },
    { tag: '07', value: field(qr.deviceId, 'deviceId', 25) },
  ])
  return withCrc(
    encodeObjects([
      { tag: '00', value: '01' },
      { tag: '01', value: '12' },
      { tag: '26', value: account },
      { tag: '52', value: MCC_COURIER },
      { tag: '53', value: CURRENCY_CNY },
      { tag: '54', value: fenToDecimal(qr.amountFen) },
      { tag: '58', value: 'CN' },
      { tag: '59', value: field(qr.merchantName, 'merchantName', 25) },
      { tag: '60', value: field(qr.merchantCity, 'merchantCity', 15) },
      { tag: '62', value: additional },
      ...(qr.merchantNameZh === undefined
        ? []
        : [
            {
              tag: '64',
              value: encodeObjects([
                { tag: '00', value: 'ZH' },
                { tag: '01', value: localField(qr.merchantNameZh, 'merchantNameZh', 25) },
                ...(qr.merchantCityZh === undefined
                  ? []
                  : [{ tag: '02', value: localField(qr.merchantCityZh, 'merchantCityZh', 15) }]),
              ]),
            },
          ]),
    ]),
  )
}

function required(objects: Map<string, string>, tag: string, where: string): string {
  const value = objects.get(tag)
  if (value === undefined) {
    throw new TuotouError('qr.missing_tag', `${where} has no tag ${tag}`, {
      tag: where === 'payload' ? tag : `${where}.${tag}`,
    })
  }
  return value
}

function expect(condition: boolean, tag: string, message: string): void {
  if (!condition) throw new TuotouError('qr.bad_value', `tag ${tag}: ${message}`, { tag })
}

/**
 * Reads a collection QR back: any well-formed MPM payload first (`decodeMpm`: CRC, every length, templates'
 * inner lengths included), then the tags a collection needs. A static QR, another currency or country, or an
 * amount that is not a plain decimal is refused with a code that says so.
 */
export function decodeCollectionQr(payload: string): CollectionQr {
  const { values: top, templates, language } = decodeMpm(payload)
  expect(required(top, '01', 'payload') === '12', '01', 'a collection QR is dynamic (12)')
  expect(required(top, '52', 'payload') === MCC_COURIER, '52', `merchant category must be ${MCC_COURIER}`)
  expect(required(top, '53', 'payload') === CURRENCY_CNY, '53', `currency must be ${CURRENCY_CNY} (CNY)`)
  expect(required(top, '58', 'payload') === 'CN', '58', 'country must be CN')
  const amountText = required(top, '54', 'payload')
  const amountFen = parseYuan(amountText)
  expect(amountFen !== null && amountFen > 0, '54', `amount ${JSON.stringify(amountText)} is not a positive decimal`)
  const template = (tag: string): Map<string, string> => {
    const inner = templates.get(tag)
    if (!inner) throw new TuotouError('qr.missing_tag', `payload has no tag ${tag}`, { tag })
    return inner
  }
  const account = template('26')
  const additional = template('62')
  if (language && language.code !== 'ZH') {
    throw new TuotouError('qr.bad_value', `tag 64.00: language ${language.code} is not ZH`, { tag: '64.00' })
  }
  return {
    acquirerId: required(account, '00', '26'),
    merchantId: required(account, '01', '26'),
    amountFen: amountFen!,
    merchantName: required(top, '59', 'payload'),
    merchantCity: required(top, '60', 'payload'),
    waybill: required(additional, '01', '62'),
    intentId: required(additional, '05', '62'),
    deviceId: required(additional, '07', '62'),
    ...(language ? { merchantNameZh: language.name } : {}),
    ...(language?.city ? { merchantCityZh: language.city } : {}),
  }
}
