import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { propertyParameters, propertyTimeout } from '../testing/property'
import { EnrollmentCode } from './device'
import { enrollmentQrContent, parseEnrollmentQr } from './depot-devices'

const ALPHABET = 'ABCDEFGHJKLMNPQRSTUVWXYZ23456789'.split('')
const code = fc.array(fc.constantFrom(...ALPHABET), { minLength: 8, maxLength: 8 }).map((chars) => chars.join(''))

describe('the enrollment QR', () => {
  it(
    'reads back every code it is made from, and the code is one the backend takes',
    () => {
      fc.assert(
        fc.property(code, (c) => {
          expect(parseEnrollmentQr(enrollmentQrContent(c))).toEqual({ ok: true, code: c })
          expect(EnrollmentCode.parse(c)).toBe(c)
        }),
        propertyParameters(500, 2_000),
      )
    },
    propertyTimeout(2_000),
  )

  it('refuses anything else, saying which of the three it is', () => {
    const cases: [string, string][] = [
      ['', 'not_enrollment'],
      ['JDVA24051600001-1-1-', 'not_enrollment'],
      ['K7MP2QXR', 'not_enrollment'],
      ['tuotou:enroll:1:K7MP2QXR', 'not_enrollment'],
      ['https://example.com/TUOTOU:ENROLL:1:K7MP2QXR', 'not_enrollment'],
      ['TUOTOU:ENROLL:2:K7MP2QXR', 'unknown_version'],
      ['TUOTOU:ENROLL:K7MP2QXR', 'unknown_version'],
      ['TUOTOU:ENROLL:1:k7mp2qxr', 'bad_code'],
      ['TUOTOU:ENROLL:1:K7MP2QX0', 'bad_code'],
      ['TUOTOU:ENROLL:1:K7MP2QX', 'bad_code'],
      ['TUOTOU:ENROLL:1:K7MP2QXRR', 'bad_code'],
      ['TUOTOU:ENROLL:1:K7MP2QXR ', 'bad_code'],
      ['TUOTOU:ENROLL:1:K7MP2QXR\n', 'bad_code'],
      [' TUOTOU:ENROLL:1:K7MP2QXR', 'not_enrollment'],
    ]
    for (const [text, problem] of cases) expect([text, parseEnrollmentQr(text)]).toEqual([text, { ok: false, problem }])
  })

  it(
    'never takes a text that is not exactly the prefix and a code',
    () => {
      fc.assert(
        fc.property(fc.string({ maxLength: 40 }), (text) => {
          const read = parseEnrollmentQr(text)
          if (read.ok) expect(text).toBe(enrollmentQrContent(read.code))
        }),
        propertyParameters(2_000, 2_000),
      )
    },
    propertyTimeout(2_000),
  )
})
