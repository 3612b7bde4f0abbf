import { TuotouError } from '../errors'
import { crcHex } from './crc'

/** One EMVCo data object: a two-digit tag and its value. Templates (26–51, 62, 64) hold nested objects. */
export interface EmvObject {
  tag: string
  value: string
}

const TAG = /^\d{2}$/

/** Writes data objects as `tag + two-digit length + value`, refusing values EMVCo cannot carry. */
export function encodeObjects(objects: readonly EmvObject[]): string {
  return objects
    .map(({ tag, value }) => {
      if (!TAG.test(tag)) throw new RangeError(`bad EMV tag ${JSON.stringify(tag)}`)
      const length = [...value].length
      if (length === 0 || length > 99) throw new RangeError(`EMV tag ${tag} must be 1 to 99 characters, not ${length}`)
      return `${tag}${String(length).padStart(2, '0')}${value}`
    })
    .join('')
}

/**
 * Reads a run of data objects. A truncated object, a non-numeric length or a duplicate tag is refused with
 * `qr.bad_length` / `qr.malformed`, naming where it went wrong.
 */
export function decodeObjects(text: string, where = 'payload'): EmvObject[] {
  const chars = [...text]
  const objects: EmvObject[] = []
  const seen = new Set<string>()
  let at = 0
  while (at < chars.length) {
    const tag = chars.slice(at, at + 2).join('')
    const lengthText = chars.slice(at + 2, at + 4).join('')
    if (!TAG.test(tag) || !/^\d{2}$/.test(lengthText)) {
      throw new TuotouError('qr.malformed', `${where}: no tag and length at character ${at}`, { at })
    }
    const length = Number(lengthText)
    if (length === 0 || at + 4 + length > chars.length) {
      throw new TuotouError('qr.bad_length', `${where}: tag ${tag} claims ${length} characters`, { tag, length })
    }
    if (seen.has(tag)) throw new TuotouError('qr.malformed', `${where}: tag ${tag} appears twice`, { tag })
    seen.add(tag)
    objects.push({ tag, value: chars.slice(at + 4, at + 4 + length).join('') })
    at += 4 + length
  }
  return objects
}

/** Appends tag 63 with the CRC over everything before it, `6304` included. */
export function withCrc(body: string): string {
  const head = `${body}6304`
  return `${head}${crcHex(head)}`
}

/**
 * Splits a whole payload into its top-level objects after checking it starts with tag 00, ends with a
 * well-formed tag 63, and that the CRC matches. Refusals: `qr.malformed`, `qr.bad_length`, `qr.bad_crc`.
 */
export function decodePayload(payload: string): Map<string, string> {
  if (typeof payload !== 'string' || payload.length < 12 || payload.length > 512) {
    throw new TuotouError('qr.bad_length', 'an EMV QR payload is 12 to 512 characters', {
      length: typeof payload === 'string' ? payload.length : null,
    })
  }
  if (!payload.startsWith('000201')) {
    throw new TuotouError('qr.malformed', 'an EMV QR payload starts with 000201')
  }
  const crcAt = payload.length - 8
  if (payload.slice(crcAt, crcAt + 4) !== '6304' || !/^[0-9A-Fa-f]{4}$/.test(payload.slice(-4))) {
    throw new TuotouError('qr.malformed', 'an EMV QR payload ends with tag 63 holding four hex digits')
  }
  const expected = crcHex(payload.slice(0, crcAt + 4))
  const given = payload.slice(-4).toUpperCase()
  if (given !== expected) {
    throw new TuotouError('qr.bad_crc', `CRC ${given} does not match the payload (${expected})`, { given, expected })
  }
  const objects = decodeObjects(payload)
  if (objects.at(-1)?.tag !== '63') throw new TuotouError('qr.malformed', 'tag 63 must be the last object')
  return new Map(objects.map((object) => [object.tag, object.value]))
}
