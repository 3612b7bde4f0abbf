import { mkdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { expect, type Page } from '@playwright/test'

/** Where screenshots go, to be looked at: `e2e/.artifacts/screens/`. */
export const SHOTS = join(import.meta.dirname, '..', '.artifacts', 'screens')
mkdirSync(SHOTS, { recursive: true })

/** A raw message key on screen (`payment.waiting`) means a translation is missing: the groups of `en.ts`. */
const GROUPS = [
  ...readFileSync(join(import.meta.dirname, '..', '..', 'src-renderer', 'terminal', 'i18n', 'en.ts'), 'utf8').matchAll(
    /^ {2}(\w+): \{$/gm,
  ),
].map((match) => match[1]!)
const MESSAGE_KEY = new RegExp(`\\b(?:${GROUPS.join('|')})\\.[A-Za-z_.]+\\b`)

/** The smallest target a gloved finger hits reliably. */
export const MIN_TOUCH_PX = 56

/**
 * Visible controls on the page shorter than a glove-size target, described for the failure message. Vant's
 * numeric keyboard keys and tab items are sized by their containers and left out. Runs in the page as a string,
 * since these sources are type-checked without the DOM.
 */
export async function smallTargets(page: Page): Promise<string[]> {
  return page.evaluate<string[]>(`(() => {
    const small = []
    for (const element of document.querySelectorAll('button, [role="button"], input, .van-button')) {
      const box = element.getBoundingClientRect()
      if (box.width === 0 || box.height === 0 || getComputedStyle(element).visibility === 'hidden') continue
      if (element.closest('.van-number-keyboard, .van-tabbar-item')) continue
      if (Math.round(box.height) < ${MIN_TOUCH_PX}) {
        small.push((element.dataset.testid || element.className || element.tagName) + ' (' + Math.round(box.height) + ' px)')
      }
    }
    return small
  })()`)
}

/**
 * The top bar holds the app's name on the left and the battery and sync status on the right, each laid out on
 * its own: on a narrow screen they can run into each other. Says by how many pixels they overlap, or null.
 */
export async function topBarOverlap(page: Page): Promise<string | null> {
  return page.evaluate<string | null>(`(() => {
    const left = document.querySelector('.app-bar .van-nav-bar__left')
    const right = document.querySelector('.app-bar .van-nav-bar__right')
    if (!left || !right) return null
    const parts = [...left.children, ...right.children].map((el) => el.getBoundingClientRect()).filter((box) => box.width > 0)
    const leftEnd = Math.max(...[...left.children].map((el) => el.getBoundingClientRect().right))
    const rightStart = Math.min(...[...right.children].map((el) => el.getBoundingClientRect()).filter((box) => box.width > 0).map((box) => box.left))
    if (parts.length === 0 || !Number.isFinite(leftEnd) || !Number.isFinite(rightStart)) return null
    return leftEnd > rightStart + 1 ? Math.round(leftEnd - rightStart) + ' px' : null
  })()`)
}

/**
 * Saves a screenshot of what the courier sees, after checking what a tester relies on: no message key leaks
 * into the page, no English into a Chinese screen, the top bar's items clear of each other, and (with `targets`)
 * every control is glove-size.
 */
export async function shot(
  page: Page,
  name: string,
  locale: string,
  options: { targets?: boolean; fullPage?: boolean } = {},
): Promise<void> {
  const size = page.viewportSize()!
  const text = await page.locator('body').innerText()
  expect(text, `${name}: untranslated message key`).not.toMatch(MESSAGE_KEY)
  if (locale === 'zh-CN')
    expect(text, `${name}: English left in the Chinese screen`).not.toMatch(/\b(?:the|and|to|of)\b/i)
  if (options.targets) expect(await smallTargets(page), `${name}: controls under ${MIN_TOUCH_PX} px`).toEqual([])
  expect(await topBarOverlap(page), `${name}: the top bar's items overlap`).toBeNull()
  // Finished transitions: a sheet mid-slide would hide what the courier sees.
  await page.screenshot({
    path: join(SHOTS, `${name}-${locale}-${size.width}x${size.height}${options.fullPage ? '-full' : ''}.png`),
    animations: 'disabled',
    fullPage: options.fullPage ?? false,
  })
}

/**
 * Switches the terminal's language through its own settings channel (as the settings screen does), so a test can
 * shoot the same moment in both languages without leaving the screen it is on.
 */
export async function switchLocale(terminalUrl: string, locale: 'zh-CN' | 'en'): Promise<void> {
  const url = new URL(terminalUrl)
  const token = /token=([\w-]+)/.exec(url.hash)?.[1] ?? ''
  const res = await fetch(`${url.origin}/ipc/updateSettings`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-tuotou-token': token },
    body: JSON.stringify({ locale }),
  })
  if (!res.ok) throw new Error(`the terminal refused the language (${res.status})`)
}

/** The handheld sizes a courier's screen is checked at: 360×640 (2× scaling), 480×854 and 720×1280. */
export const HANDHELD_SIZES = [
  { width: 360, height: 640 },
  { width: 480, height: 854 },
  { width: 720, height: 1280 },
] as const

/**
 * The same moment in both languages and at every handheld size: zh-CN first (the default), then English, then
 * back to zh-CN and the page's own size.
 */
export async function shotBoth(
  page: Page,
  terminalUrl: string,
  name: string,
  options: { targets?: boolean; fullPage?: boolean; sizes?: readonly { width: number; height: number }[] } = {},
): Promise<void> {
  const own = page.viewportSize()!
  for (const size of options.sizes ?? HANDHELD_SIZES) {
    await page.setViewportSize(size)
    for (const locale of ['zh-CN', 'en'] as const) {
      await switchLocale(terminalUrl, locale)
      await expect(page.locator('html')).toHaveAttribute('lang', locale)
      await shot(page, name, locale, options)
    }
  }
  await switchLocale(terminalUrl, 'zh-CN')
  await expect(page.locator('html')).toHaveAttribute('lang', 'zh-CN')
  await page.setViewportSize(own)
}

/** The dashboard sizes a supervisor's screen is checked at. */
export const DASHBOARD_SIZES = [
  { width: 1024, height: 768 },
  { width: 1440, height: 900 },
] as const

/**
 * Boxes on a dashboard page wider than they are shown (a table needing a sideways scroll, a card overflowing),
 * and the page itself wider than the window. `boxes` is a CSS selector list; each box is named by its nearest
 * test ID. Runs in the page as a string, since these sources are type-checked without the DOM.
 */
export async function clippedBoxes(page: Page, boxes: string): Promise<string[]> {
  return page.evaluate<string[]>(`(() => {
    const out = []
    for (const el of document.querySelectorAll(${JSON.stringify(boxes)})) {
      if (el.scrollWidth > el.clientWidth + 1) out.push((el.closest('[data-testid]')?.dataset.testid || el.className) + ' ' + el.scrollWidth + '>' + el.clientWidth)
    }
    if (document.documentElement.scrollWidth > window.innerWidth + 1) out.push('page ' + document.documentElement.scrollWidth)
    return out
  })()`)
}

/**
 * Nothing clipped, once the layout has settled. Element Plus lays a table out again a moment after the window
 * changes size (its resize listener is throttled), so a check right after `setViewportSize` can still see the
 * columns laid out for the old width: wait for the settled layout rather than the first frame.
 */
export async function expectNothingClipped(page: Page, boxes: string, label: string): Promise<void> {
  await expect.poll(() => clippedBoxes(page, boxes), { message: `${label}: clipped`, timeout: 5_000 }).toEqual([])
}
