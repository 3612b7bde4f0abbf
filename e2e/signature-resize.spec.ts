import { join } from 'node:path'
import type { Locator, Page } from '@playwright/test'
import { SupervisorLoginResponse } from '../shared/api/depot'
import type { ProofRules } from '../shared/api/proof'
import { Courier } from './support/courier'
import { pickOrder } from './support/demo-route'
import { expect, test } from './support/fixtures'
import { SHOTS } from './support/screens'

/**
 * The signature pad keeps what was signed when the handheld rotates or the window is resized (issue 14): the
 * strokes are drawn again on the resized pad, whole and in proportion, at the pad's new resolution, and a stroke
 * drawn after the resize lands under the finger. Read from the pixels as shown, not the component's state.
 */

const RULES: ProofRules = {
  valueOverFen: 10_000,
  valueProof: ['signature'],
  unattendedPhoto: false,
  familySignature: false,
  notHomePhoto: false,
  notHomeCall: false,
}

interface Ink {
  /** Dark pixels on the pad, as the screen shows it. */
  dark: number
  box: { left: number; top: number; right: number; bottom: number } | null
  at(x: number, y: number, radius?: number): boolean
}

/**
 * The pad as the screen shows it: each CSS pixel of its content box sampled from the canvas's bitmap the way the
 * browser scales it to that box (a stale bitmap shows stretched). Runs in the page as a string, as the other
 * specs do, since these sources are type-checked without the DOM.
 */
async function inkOn(pad: Locator): Promise<Ink> {
  const page = pad.page()
  const shown = await page.evaluate<{ width: number; height: number; rows: string[] }>(`(() => {
    const el = document.querySelector('[data-testid="proof-signature-pad"]')
    const style = getComputedStyle(el)
    const box = el.getBoundingClientRect()
    const width = Math.floor(box.width - parseFloat(style.borderLeftWidth) - parseFloat(style.borderRightWidth))
    const height = Math.floor(box.height - parseFloat(style.borderTopWidth) - parseFloat(style.borderBottomWidth))
    const pixels = el.getContext('2d').getImageData(0, 0, el.width, el.height).data
    const rows = []
    for (let y = 0; y < height; y++) {
      let row = ''
      const by = Math.min(el.height - 1, Math.floor(((y + 0.5) * el.height) / height))
      for (let x = 0; x < width; x++) {
        const bx = Math.min(el.width - 1, Math.floor(((x + 0.5) * el.width) / width))
        const i = (by * el.width + bx) * 4
        row += pixels[i] < 100 && pixels[i + 1] < 100 && pixels[i + 2] < 100 && pixels[i + 3] > 0 ? '1' : '0'
      }
      rows.push(row)
    }
    return { width, height, rows }
  })()`)
  const dark = (x: number, y: number): boolean =>
    x >= 0 && y >= 0 && x < shown.width && y < shown.height && shown.rows[y]![x] === '1'
  let count = 0
  let box: Ink['box'] = null
  for (let y = 0; y < shown.height; y++) {
    for (let x = 0; x < shown.width; x++) {
      if (!dark(x, y)) continue
      count++
      box = box
        ? {
            left: Math.min(box.left, x),
            top: Math.min(box.top, y),
            right: Math.max(box.right, x),
            bottom: Math.max(box.bottom, y),
          }
        : { left: x, top: y, right: x, bottom: y }
    }
  }
  return {
    dark: count,
    box,
    at: (x, y, radius = 4) => {
      for (let dy = -radius; dy <= radius; dy++)
        for (let dx = -radius; dx <= radius; dx++) if (dark(Math.round(x) + dx, Math.round(y) + dy)) return true
      return false
    },
  }
}

/** An "L" drawn with the mouse from (x0, y0): down `tall`, then right `wide`, in CSS pixels of the pad. */
async function drawL(page: Page, pad: Locator, x0: number, y0: number, tall: number, wide: number): Promise<void> {
  const box = (await pad.boundingBox())!
  await page.mouse.move(box.x + x0, box.y + y0)
  await page.mouse.down()
  for (let i = 1; i <= 10; i++) await page.mouse.move(box.x + x0, box.y + y0 + (tall * i) / 10)
  for (let i = 1; i <= 10; i++) await page.mouse.move(box.x + x0 + (wide * i) / 10, box.y + y0 + tall)
  await page.mouse.up()
}

const aspect = (ink: Ink): number => (ink.box!.right - ink.box!.left) / (ink.box!.bottom - ink.box!.top)

test('the signature pad draws its strokes again, whole and in proportion, after a rotation and a resize', async ({
  page,
  sandbox,
  fieldTerminal,
  route,
}) => {
  const login = await fetch(`${sandbox.url}/api/v1/depot/sessions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ login: 'zhang.wei', password: 'tuotou-demo' }),
  })
  const { supervisorToken } = SupervisorLoginResponse.parse(await login.json())
  const set = await fetch(`${sandbox.url}/api/v1/depot/proof/rules`, {
    method: 'PUT',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${supervisorToken}` },
    body: JSON.stringify(RULES),
  })
  expect(set.status).toBe(200)
  // The rules are set before the shift starts, so the manifest carries the policy they give.
  await page.setViewportSize({ width: 480, height: 854 })
  await page.goto(fieldTerminal.url)
  const courier = new Courier(page)
  await courier.startShift(sandbox.enrollmentCode)
  const dear = pickOrder(route, 'an order over ¥100', (o) => o.codFen > 10_000 && o.barcodes.length === 1)

  await courier.scan(dear.barcodes[0]!)
  await expect(courier.byId('proof-required')).toHaveAttribute('data-kind', 'signature')
  await courier.tap('proof-signature-open')
  const pad = courier.byId('proof-signature-pad')
  await expect(pad).toBeVisible()
  await expect(courier.byId('proof-signature-sheet')).toBeInViewport({ ratio: 1 })
  await drawL(page, pad, 60, 60, 200, 120)
  await expect(pad).toHaveAttribute('data-strokes', '1')
  const drawn = await inkOn(pad)
  expect(drawn.dark).toBeGreaterThan(200)
  expect(drawn.at(60, 160)).toBe(true)

  for (const size of [
    { width: 854, height: 480 },
    { width: 360, height: 640 },
    { width: 720, height: 1280 },
  ]) {
    await page.setViewportSize(size)
    // The pad's new size is on screen once its box follows the viewport's width.
    await expect.poll(async () => Math.abs((await pad.boundingBox())!.width - (size.width - 32))).toBeLessThan(10)
    await expect
      .poll(async () => (await inkOn(pad)).dark, { message: `strokes on the pad at ${size.width}` })
      .toBeGreaterThan(100)
    const ink = await inkOn(pad)
    // Whole: the L's corner and both ends are inside the pad; in proportion: its height to width as drawn.
    const box = (await pad.boundingBox())!
    expect(ink.box!.bottom, `the L fits the pad at ${size.width}×${size.height}`).toBeLessThan(box.height - 8)
    expect(
      Math.abs(aspect(ink) - aspect(drawn)) / aspect(drawn),
      `the L keeps its shape at ${size.width}`,
    ).toBeLessThan(0.15)
    // Drawn at the pad's resolution, not stretched: a stroke is as thin as when it was drawn.
    const rowInk = (y: number): number => {
      let n = 0
      for (let x = ink.box!.left; x <= ink.box!.right; x++) if (ink.at(x, y, 0)) n++
      return n
    }
    expect(
      rowInk(Math.round((ink.box!.top + ink.box!.bottom) / 2)),
      `stroke width at ${size.width}`,
    ).toBeLessThanOrEqual(8)
    await page.screenshot({
      path: join(SHOTS, `proof-signature-resized-zh-CN-${size.width}x${size.height}.png`),
      animations: 'disabled',
    })
  }

  // A stroke after the resizes lands where the finger is.
  const box = (await pad.boundingBox())!
  const x = Math.round(box.width * 0.75)
  const y = Math.round(box.height * 0.3)
  await drawL(page, pad, x, y, 60, 40)
  await expect(pad).toHaveAttribute('data-strokes', '2')
  const after = await inkOn(pad)
  expect(after.at(x, y + 30), 'the new stroke under the pointer').toBe(true)
  expect(after.at(x + 20, y + 60), 'the new stroke under the pointer').toBe(true)

  // What is saved is what the pad shows: the signature meets the policy.
  await courier.tap('proof-signature-done')
  await expect(courier.byId('proof-signature-sheet')).toBeHidden()
  await expect(courier.byId('proof-met')).toBeVisible()
})
