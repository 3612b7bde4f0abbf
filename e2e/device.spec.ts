import type { Page } from '@playwright/test'
import { expect, test as base } from './support/fixtures'
import { shotBoth } from './support/screens'

/**
 * Issue 13, point 6: the device itself. The top bar shows the battery from the Battery Status API (faked here
 * before the page loads, the way Chromium offers it: an EventTarget that says when the level or the charger
 * changes) and warns below 15%; the handheld's scan trigger is a configurable key that starts a camera scan.
 */
// Page code as strings: the e2e sources are type-checked without the DOM.
const FAKE_BATTERY = `(() => {
  const battery = Object.assign(new EventTarget(), { level: 0.62, charging: false })
  window.__battery = battery
  Object.defineProperty(Navigator.prototype, 'getBattery', { configurable: true, value: () => Promise.resolve(battery) })
})()`

const test = base.extend({
  page: async ({ page }, use) => {
    await page.addInitScript(FAKE_BATTERY)
    await use(page)
  },
})

/** Changes the fake battery as a real one changes: the property, then the event. */
async function setBattery(page: Page, level: number, charging: boolean): Promise<void> {
  await page.evaluate(`(() => {
    const battery = window.__battery
    if (battery.level !== ${level}) {
      battery.level = ${level}
      battery.dispatchEvent(new Event('levelchange'))
    }
    if (battery.charging !== ${charging}) {
      battery.charging = ${charging}
      battery.dispatchEvent(new Event('chargingchange'))
    }
  })()`)
}

/** A trigger held down: the browser repeats its keydown with `repeat` set. */
const REPEAT_F7 = `window.dispatchEvent(new KeyboardEvent('keydown', { code: 'F7', key: 'F7', repeat: true, bubbles: true }))`

test('the top bar shows the battery and warns below 15%, following the device without a timer', async ({
  courier,
  page,
  fieldTerminal,
}) => {
  const battery = courier.byId('battery')
  await expect(battery).toHaveAttribute('data-level', '62')
  await expect(battery).toHaveAttribute('data-charging', 'no')
  await expect(battery).toHaveAttribute('data-low', 'no')
  await expect(courier.byId('battery-low')).toBeHidden()

  await setBattery(page, 0.12, false)
  await expect(battery).toHaveAttribute('data-level', '12')
  await expect(battery).toHaveAttribute('data-low', 'yes')
  await expect(courier.byId('battery-low')).toBeVisible()
  await shotBoth(page, fieldTerminal.url, 'battery-low')

  // On the charger it still says how low it is, and that it is charging.
  await setBattery(page, 0.14, true)
  await expect(battery).toHaveAttribute('data-charging', 'yes')
  await expect(battery).toHaveAttribute('data-level', '14')
  await setBattery(page, 0.15, true)
  await expect(battery).toHaveAttribute('data-low', 'no')
})

test('the scan trigger starts a camera scan; it can be set to another key, and a held trigger counts once', async ({
  courier,
  page,
  fieldTerminal,
}) => {
  const scanner = courier.byId('camera-scanner')
  await expect(scanner).toBeHidden()
  await page.keyboard.press('F9')
  await expect(scanner).toBeVisible()
  await courier.tap('camera-close')
  await expect(scanner).toBeHidden()

  // The courier's handheld sends F7 for its trigger: set it in the settings, by pressing it.
  await courier.byId('tab-settings').click()
  await expect(courier.byId('trigger-key')).toHaveAttribute('data-key', 'F9')
  await courier.tap('trigger-key')
  await page.keyboard.press('F7')
  await expect(courier.byId('trigger-key')).toHaveAttribute('data-key', 'F7')
  await shotBoth(page, fieldTerminal.url, 'settings-trigger-key')
  await courier.byId('tab-scan').click()

  await page.keyboard.press('F9')
  await expect(scanner).toBeHidden()
  // Held down: the first press and its repeats; one scan starts, and closing it leaves it closed.
  await page.keyboard.down('F7')
  await expect(scanner).toBeVisible()
  await page.evaluate(REPEAT_F7)
  await page.keyboard.up('F7')
  await courier.tap('camera-close')
  await expect(scanner).toBeHidden()
  await page.evaluate(REPEAT_F7)
  await page.waitForTimeout(300)
  await expect(scanner).toBeHidden()
})
