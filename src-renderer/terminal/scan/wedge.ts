/**
 * Hardware scanners act as keyboards ("keyboard wedge"): a read arrives as a burst of key presses ended by Enter
 * or Tab. A burst counts as a scan when every key follows the previous one within 50 ms and it holds at least
 * five characters; a person typing is slower. Characters come from `KeyboardEvent.code` (the physical key), read
 * as a US layout, which is what scanners emulate, so a French or German keyboard setting does not garble them.
 */
export const WEDGE_MAX_GAP_MS = 50
export const WEDGE_MIN_LENGTH = 5

export interface WedgeKey {
  code: string
  key: string
  shiftKey: boolean
  ctrlKey: boolean
  altKey: boolean
  metaKey: boolean
  /** `KeyboardEvent.timeStamp`: when the key went down. */
  timeStamp: number
  capsLock: boolean
}

const US_SYMBOLS: Record<string, [string, string]> = {
  Minus: ['-', '_'],
  Equal: ['=', '+'],
  Period: ['.', '>'],
  Comma: [',', '<'],
  Slash: ['/', '?'],
  Semicolon: [';', ':'],
  Quote: ["'", '"'],
  BracketLeft: ['[', '{'],
  BracketRight: [']', '}'],
  Backslash: ['\\', '|'],
  Backquote: ['`', '~'],
  Space: [' ', ' '],
  NumpadSubtract: ['-', '-'],
  NumpadAdd: ['+', '+'],
  NumpadDecimal: ['.', '.'],
  NumpadDivide: ['/', '/'],
  NumpadMultiply: ['*', '*'],
}
const US_SHIFTED_DIGITS = ')!@#$%^&*('

/** The character a physical key types on a US layout, or null for keys that type nothing (F8, Shift, arrows). */
export function characterOf(key: Pick<WedgeKey, 'code' | 'shiftKey' | 'capsLock'>): string | null {
  const letter = /^Key([A-Z])$/.exec(key.code)
  if (letter) return key.shiftKey !== key.capsLock ? letter[1]! : letter[1]!.toLowerCase()
  const digit = /^Digit(\d)$/.exec(key.code)
  if (digit) return key.shiftKey ? US_SHIFTED_DIGITS[Number(digit[1])]! : digit[1]!
  const numpad = /^Numpad(\d)$/.exec(key.code)
  if (numpad) return numpad[1]!
  const symbol = US_SYMBOLS[key.code]
  return symbol ? symbol[key.shiftKey ? 1 : 0] : null
}

export type WedgeVerdict =
  /** The key is part of a burst; let it through (the listener restores the focused field if it becomes a scan). */
  | { kind: 'key' }
  /** A burst ended by Enter/Tab: a scan. `startedAt` is its first key, `endedAt` the terminator. */
  | { kind: 'scan'; code: string; startedAt: number; endedAt: number }
  /** Enter/Tab that ends no burst: ordinary typing, left alone. */
  | { kind: 'ignore' }

/**
 * Feeds key presses one at a time and says when a scan completed. Pure: it keeps only the current burst, so it
 * can be tested with synthetic keys and reused by the round runner.
 */
export function createWedgeDetector(options: { maxGapMs?: number; minLength?: number } = {}) {
  const maxGap = options.maxGapMs ?? WEDGE_MAX_GAP_MS
  const minLength = options.minLength ?? WEDGE_MIN_LENGTH
  let chars: string[] = []
  let startedAt = 0
  let lastAt = -Infinity

  const reset = (): void => {
    chars = []
    lastAt = -Infinity
  }

  return {
    /** Whether a burst is under way (a key within the gap of the previous one). */
    inBurst(now: number): boolean {
      return chars.length > 0 && now - lastAt <= maxGap
    },
    /** The characters of the burst so far, for restoring a field the burst typed into. */
    pending(): number {
      return chars.length
    },
    feed(key: WedgeKey): WedgeVerdict {
      if (key.ctrlKey || key.altKey || key.metaKey) {
        reset()
        return { kind: 'ignore' }
      }
      const gap = key.timeStamp - lastAt
      if (key.code === 'Enter' || key.code === 'NumpadEnter' || key.code === 'Tab') {
        const burst = chars
        const begun = startedAt
        reset()
        if (burst.length >= minLength && gap <= maxGap) {
          return { kind: 'scan', code: burst.join(''), startedAt: begun, endedAt: key.timeStamp }
        }
        return { kind: 'ignore' }
      }
      if (key.code.startsWith('Shift') || key.code === 'CapsLock') return { kind: 'key' }
      const char = characterOf(key)
      if (char === null) {
        reset()
        return { kind: 'ignore' }
      }
      if (gap > maxGap) {
        chars = []
        startedAt = key.timeStamp
      }
      chars.push(char)
      lastAt = key.timeStamp
      return { kind: 'key' }
    },
    reset,
  }
}

export type WedgeDetector = ReturnType<typeof createWedgeDetector>
