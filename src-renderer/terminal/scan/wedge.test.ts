import { describe, expect, it } from 'vitest'
import { characterOf, createWedgeDetector, type WedgeKey } from './wedge'

const CODES: Record<string, string> = { '-': 'Minus', '.': 'Period', _: 'Minus' }
/** The physical key a US keyboard uses for `char`; `layoutKey` is what a non-US layout would report as `key`. */
function press(char: string, timeStamp: number, layoutKey = char): WedgeKey {
  const code = /[a-z]/i.test(char) ? `Key${char.toUpperCase()}` : /\d/.test(char) ? `Digit${char}` : CODES[char]!
  const shiftKey = /[A-Z_]/.test(char)
  return { code, key: layoutKey, shiftKey, ctrlKey: false, altKey: false, metaKey: false, timeStamp, capsLock: false }
}
const enter = (timeStamp: number): WedgeKey => ({
  ...press('a', timeStamp),
  code: 'Enter',
  key: 'Enter',
  shiftKey: false,
})

function burst(text: string, gapMs: number, start = 1000): WedgeKey[] {
  return [...text].map((char, i) => press(char, start + i * gapMs))
}

describe('keyboard-wedge detector', () => {
  it('reads a fast burst ended by Enter as a scan', () => {
    const detector = createWedgeDetector()
    const keys = burst('JDVA00012345678-1-2-', 8)
    for (const key of keys) expect(detector.feed(key)).toEqual({ kind: 'key' })
    expect(detector.feed(enter(keys.at(-1)!.timeStamp + 8))).toEqual({
      kind: 'scan',
      code: 'JDVA00012345678-1-2-',
      startedAt: 1000,
      endedAt: keys.at(-1)!.timeStamp + 8,
    })
  })

  it('accepts Tab as the terminator and exactly 50 ms gaps', () => {
    const detector = createWedgeDetector()
    const keys = burst('ABCDE', 50)
    keys.forEach((key) => detector.feed(key))
    expect(detector.feed({ ...enter(keys.at(-1)!.timeStamp + 50), code: 'Tab' })).toMatchObject({ kind: 'scan' })
  })

  it('ignores typing slower than 50 ms a key', () => {
    const detector = createWedgeDetector()
    const keys = burst('JDVA00012345678', 51)
    keys.forEach((key) => detector.feed(key))
    expect(detector.feed(enter(keys.at(-1)!.timeStamp + 10))).toEqual({ kind: 'ignore' })
  })

  it('ignores a burst shorter than 5 characters', () => {
    const detector = createWedgeDetector()
    burst('1234', 5).forEach((key) => detector.feed(key))
    expect(detector.feed(enter(1020))).toEqual({ kind: 'ignore' })
  })

  it('starts a new burst after a pause, dropping what a person typed before it', () => {
    const detector = createWedgeDetector()
    burst('xy', 200, 0).forEach((key) => detector.feed(key))
    const keys = burst('JDVA00000000001', 5, 5000)
    keys.forEach((key) => detector.feed(key))
    expect(detector.feed(enter(keys.at(-1)!.timeStamp + 5))).toMatchObject({ code: 'JDVA00000000001' })
  })

  it('ignores an Enter that comes long after the burst', () => {
    const detector = createWedgeDetector()
    const keys = burst('JDVA00000000001', 5)
    keys.forEach((key) => detector.feed(key))
    expect(detector.feed(enter(keys.at(-1)!.timeStamp + 500))).toEqual({ kind: 'ignore' })
  })

  it('reads physical keys, so an AZERTY or German layout does not garble the code', () => {
    const detector = createWedgeDetector()
    // On AZERTY the unshifted digit row types & é " ' ( - è _ ç à; on QWERTZ KeyY types z.
    const azerty: Record<string, string> = { '1': '&', '0': 'à', '2': 'é', Y: 'Z', '-': ')' }
    const text = 'JDVY00000000012-1-2-'
    const keys = [...text].map((char, i) => press(char, 1000 + i * 6, azerty[char] ?? char))
    keys.forEach((key) => detector.feed(key))
    expect(detector.feed(enter(keys.at(-1)!.timeStamp + 6))).toMatchObject({ code: text })
  })

  it('keeps letter case from Shift and Caps Lock, and underscores, for receipt tokens', () => {
    expect(characterOf({ code: 'KeyQ', shiftKey: false, capsLock: false })).toBe('q')
    expect(characterOf({ code: 'KeyQ', shiftKey: true, capsLock: false })).toBe('Q')
    expect(characterOf({ code: 'KeyQ', shiftKey: false, capsLock: true })).toBe('Q')
    expect(characterOf({ code: 'Minus', shiftKey: true, capsLock: false })).toBe('_')
    expect(characterOf({ code: 'Numpad7', shiftKey: false, capsLock: false })).toBe('7')
    expect(characterOf({ code: 'F8', shiftKey: false, capsLock: false })).toBeNull()
  })

  it('lets Shift pass inside a burst without breaking it, and a shortcut key ends it', () => {
    const detector = createWedgeDetector()
    burst('ABC', 5).forEach((key) => detector.feed(key))
    expect(detector.feed({ ...press('a', 1012), code: 'ShiftLeft' })).toEqual({ kind: 'key' })
    burst('DE', 5, 1014).forEach((key) => detector.feed(key))
    expect(detector.feed(enter(1025))).toMatchObject({ code: 'ABCDE' })
    burst('ABCDEF', 5).forEach((key) => detector.feed(key))
    expect(detector.feed({ ...press('c', 1031), ctrlKey: true })).toEqual({ kind: 'ignore' })
    expect(detector.feed(enter(1035))).toEqual({ kind: 'ignore' })
  })
})
