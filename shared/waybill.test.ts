import { describe, expect, it } from 'vitest'
import { TuotouError } from './errors'
import { parcelBarcode, parseBarcode } from './waybill'

describe('waybill and parcel barcodes', () => {
  it('reads a parcel label', () => {
    expect(parseBarcode('JDVA00012345678-1-2-')).toEqual({
      kind: 'parcel',
      waybill: 'JDVA00012345678',
      index: 1,
      count: 2,
      barcode: 'JDVA00012345678-1-2-',
    })
  })

  it('reads a bare waybill, trimming scanner whitespace and fixing case', () => {
    expect(parseBarcode(' jdva00012345678\r')).toEqual({
      kind: 'waybill',
      waybill: 'JDVA00012345678',
      barcode: 'JDVA00012345678',
    })
  })

  it('writes what it reads', () => {
    for (const [index, count] of [
      [1, 1],
      [2, 3],
      [12, 12],
    ] as const) {
      const label = parcelBarcode('JDVB98765432101', index, count)
      expect(parseBarcode(label)).toMatchObject({ kind: 'parcel', index, count })
    }
  })

  it('refuses garbled, foreign and impossible codes with scan.malformed', () => {
    for (const bad of [
      '',
      'JDVA0001234567',
      'JDVA000123456789',
      'SF1234567890123',
      'JDVA00012345678-3-2-',
      'JDVA00012345678-0-2-',
      'JDVA00012345678-1-2',
      'JDVA00012345678--1-2-',
      'ＪＤVA00012345678',
      'JDVA00012345678-1-2-; DROP TABLE parcels',
    ]) {
      let thrown: unknown
      try {
        parseBarcode(bad)
      } catch (error) {
        thrown = error
      }
      expect(thrown, bad).toBeInstanceOf(TuotouError)
      expect((thrown as TuotouError).code).toBe('scan.malformed')
    }
  })

  it('refuses to print an impossible label', () => {
    expect(() => parcelBarcode('JDVA00012345678', 3, 2)).toThrow(RangeError)
    expect(() => parcelBarcode('nope', 1, 1)).toThrow(RangeError)
  })
})
