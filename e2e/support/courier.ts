import type { CDPSession, Locator, Page } from '@playwright/test'
import { expect } from '@playwright/test'
import { decodeQrPng } from './qr'

interface PhysicalKey {
  key: string
  code: string
  keyCode: number
  shift: boolean
}

const SYMBOLS: Record<string, [code: string, keyCode: number, shift: boolean]> = {
  '-': ['Minus', 189, false],
  _: ['Minus', 189, true],
  '.': ['Period', 190, false],
  '/': ['Slash', 191, false],
  '=': ['Equal', 187, false],
  '+': ['Equal', 187, true],
  ' ': ['Space', 32, false],
  '#': ['Digit3', 51, true],
  $: ['Digit4', 52, true],
  '%': ['Digit5', 53, true],
  '^': ['Digit6', 54, true],
  '&': ['Digit7', 55, true],
  '*': ['Digit8', 56, true],
}

/** The key a US-layout scanner presses for `char`. */
function physicalKey(char: string): PhysicalKey {
  if (/^[A-Za-z]$/.test(char)) {
    const upper = char.toUpperCase()
    return { key: char, code: `Key${upper}`, keyCode: upper.charCodeAt(0), shift: char !== char.toLowerCase() }
  }
  if (/^\d$/.test(char)) return { key: char, code: `Digit${char}`, keyCode: char.charCodeAt(0), shift: false }
  const symbol = SYMBOLS[char]
  if (!symbol) throw new Error(`a scanner cannot send ${JSON.stringify(char)}`)
  return { key: char, code: symbol[0], keyCode: symbol[1], shift: symbol[2] }
}

/**
 * What a French (AZERTY) keyboard setting reports as `key` for the physical keys a scanner presses: the digit
 * row types symbols unshifted, and A/Q and Z/W swap. The terminal must read the code regardless.
 */
export const AZERTY: Record<string, string> = {
  '1': '&',
  '2': 'é',
  '3': '"',
  '4': "'",
  '5': '(',
  '6': '-',
  '7': 'è',
  '8': '_',
  '9': 'ç',
  '0': 'à',
  A: 'Q',
  Q: 'A',
  Z: 'W',
  W: 'Z',
  '-': ')',
}

export interface CourierOptions {
  /** Milliseconds between the keys of a scanner burst; a wedge scanner sends them within 50 ms. */
  keyDelayMs?: number
}

/**
 * Drives the terminal the way a courier does, through `data-testid` hooks only, and counts the courier's
 * deliberate actions (scans, taps, typed entries). The round runner reuses it; setup steps (enroll, log in) are
 * not counted, because they happen once per shift rather than at the door.
 */
export class Courier {
  /** Every deliberate action, in order: `scan JDVA…`, `tap pay-digital`, `type cash-amount`. */
  readonly actions: string[] = []
  private readonly keyDelayMs: number

  constructor(
    readonly page: Page,
    options: CourierOptions = {},
  ) {
    this.keyDelayMs = options.keyDelayMs ?? 4
  }

  get deliberateActions(): number {
    return this.actions.length
  }

  byId(testId: string): Locator {
    return this.page.getByTestId(testId)
  }

  /**
   * A hardware scanner read: the code as a burst of key presses ended by Enter, whatever has focus. The keys go
   * in through Chromium's input pipeline (CDP `Input.dispatchKeyEvent`, what `page.keyboard` uses) stamped
   * `keyDelayMs` apart, as a scanner's keys are stamped when sent: a busy page delays handling, not the
   * keys' times, exactly as with real hardware. `layout` sets what a non-US keyboard would report as `key`.
   */
  async scan(
    code: string,
    options: { terminator?: 'Enter' | 'Tab'; keyDelayMs?: number; layout?: Record<string, string> } = {},
  ): Promise<void> {
    this.actions.push(`scan ${code}`)
    const cdp = await this.cdp()
    const step = (options.keyDelayMs ?? this.keyDelayMs) / 1000
    let at = Date.now() / 1000
    const send = async (key: PhysicalKey, text: string | undefined): Promise<void> => {
      // Never stamp a key ahead of the clock: the page would see the burst end before it did.
      const lead = at * 1000 - Date.now()
      if (lead > 0) await new Promise((resolve) => setTimeout(resolve, lead))
      const modifiers = key.shift ? 8 : 0
      const common = { key: key.key, code: key.code, windowsVirtualKeyCode: key.keyCode, modifiers }
      await cdp.send('Input.dispatchKeyEvent', {
        type: text ? 'keyDown' : 'rawKeyDown',
        ...common,
        text,
        timestamp: at,
      })
      await cdp.send('Input.dispatchKeyEvent', { type: 'keyUp', ...common, timestamp: at + 0.001 })
      at += step
    }
    for (const char of code) {
      const key = physicalKey(char)
      const shown = options.layout?.[char.toUpperCase()] ?? options.layout?.[char] ?? key.key
      await send({ ...key, key: shown }, shown)
    }
    const terminator = options.terminator ?? 'Enter'
    await send(
      { key: terminator, code: terminator, keyCode: terminator === 'Enter' ? 13 : 9, shift: false },
      terminator === 'Enter' ? '\r' : undefined,
    )
  }

  private session: CDPSession | null = null
  private async cdp(): Promise<CDPSession> {
    this.session ??= await this.page.context().newCDPSession(this.page)
    return this.session
  }

  async tap(testId: string): Promise<void> {
    this.actions.push(`tap ${testId}`)
    await this.byId(testId).click()
  }

  /**
   * Keys an amount on the cash keypad, as few keys as a courier would press (¥190.00 is "1", "9", "0"; ¥60.50 is
   * "6", "0", ".", "5"): each key is one deliberate action. The first key replaces the amount due shown.
   */
  async keyCash(fen: number): Promise<void> {
    const whole = String(Math.floor(fen / 100))
    const cents = String(fen % 100)
      .padStart(2, '0')
      .replace(/0$/, '')
    const keys = [...whole, ...(cents.length > 0 && cents !== '0' ? ['.', ...cents] : [])]
    for (const key of keys) await this.tap(key === '.' ? 'cash-key-dot' : `cash-key-${key}`)
  }

  /** Types into a field (manual entry, an amount): one deliberate action. */
  async type(testId: string, text: string): Promise<void> {
    this.actions.push(`type ${testId}`)
    await this.byId(testId).fill(text)
  }

  /**
   * Reads the collection QR off the screen as a wallet camera would: a screenshot of `payment-qr` decoded with zxing,
   * tried again for a few seconds if it does not read (anything passing over the QR, like a dialog the courier
   * taps away through a locator handler, which Playwright runs before each assertion).
   */
  async readPaymentQr(timeoutMs = 10_000): Promise<string> {
    const qr = this.byId('payment-qr')
    let texts: string[] = []
    await expect(async () => {
      await expect(qr).toHaveAttribute('data-payload-drawn', 'yes', { timeout: 2000 })
      texts = await decodeQrPng(await qr.screenshot())
      expect(texts, 'exactly one QR code on screen').toHaveLength(1)
    }).toPass({ timeout: timeoutMs, intervals: [200, 400, 800] })
    return texts[0]!
  }

  // ── setup, once per shift (not counted) ──────────────────────────────────────────────────────────────────

  async enroll(code: string): Promise<void> {
    await this.byId('enroll-code').fill(code)
    await this.byId('enroll-submit').click()
    await expect(this.byId('login-screen')).toBeVisible()
  }

  async login(staffId: string, pin: string): Promise<void> {
    await this.byId('login-staff').fill(staffId)
    await this.byId('login-pin').fill(pin)
    await this.byId('login-submit').click()
  }

  /** From a fresh terminal to the scan screen: enroll, log in, wait for the route to download. */
  async startShift(enrollmentCode: string, staffId = 'SZ1001', pin = '1234'): Promise<void> {
    await expect(this.byId('setup-screen')).toBeVisible()
    await this.enroll(enrollmentCode)
    await this.login(staffId, pin)
    await expect(this.byId('scan-screen')).toBeVisible({ timeout: 20_000 })
  }
}
