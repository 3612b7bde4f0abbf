import { readdirSync, readFileSync, statSync } from 'node:fs'
import { join } from 'node:path'
import type { Response } from '@playwright/test'
import { BackendRecords } from './support/backend-records'
import type { Courier } from './support/courier'
import { pickOrder, type DemoOrder } from './support/demo-route'
import { expect, test } from './support/fixtures'
import { shotBoth } from './support/screens'

/**
 * Issue 13, points 4 and 5: the route as a courier uses it (open a stop, search, done stops folded, move later or
 * skip with a reason) and reaching the customer through a virtual number that is the only number the device ever
 * holds. Through the real renderer, browser host and backend, with screenshots in both languages.
 */

test.describe.configure({ timeout: 180_000 })

/** Hands over every order of a stop: cash taken exactly, prepaid by its scans. */
async function deliverStop(courier: Courier, orders: DemoOrder[]): Promise<void> {
  for (const order of orders) {
    for (const barcode of order.barcodes) await courier.scan(barcode)
    if (order.codFen > 0) {
      await courier.tap('pay-cash')
      await courier.tap('cash-exact')
    }
    await expect(courier.byId('delivery-done')).toContainText(order.waybill)
  }
}

test('the route: done stops fold away, search, a stop opened from the list, moved later or skipped', async ({
  courier,
  route,
  sandbox,
  fieldTerminal,
  page,
}) => {
  const records = new BackendRecords(sandbox.dbFile)
  const stopCount = new Set(route.map((o) => o.stop)).size
  await deliverStop(
    courier,
    route.filter((o) => o.stop === 1),
  )
  await courier.byId('tab-route').click()
  const stops = courier.byId('route-stop')
  // Stop 1 is done and folded away; the list starts at stop 2, highlighted as the next.
  await expect(courier.byId('route-done-toggle')).toHaveAttribute('data-folded', '1')
  await expect(stops).toHaveCount(stopCount - 1)
  await expect(stops.first()).toHaveAttribute('data-sequence', '2')
  await expect(stops.first()).toHaveAttribute('data-next', 'yes')
  await expect(page.locator('[data-testid="route-stop"][data-status="done"]')).toHaveCount(0)
  await shotBoth(page, fieldTerminal.url, 'route-folded', { targets: true })
  await courier.byId('route-done-toggle').click()
  await expect(page.locator('[data-testid="route-stop"][data-sequence="1"]')).toHaveAttribute('data-status', 'done')
  await courier.byId('route-done-toggle').click()
  await expect(stops).toHaveCount(stopCount - 1)

  // Search by the waybill's last digits: the one stop, and a tap opens that very order.
  const sought = pickOrder(route, 'a single-parcel COD order past stop 3', (o) => o.stop > 3 && o.codFen > 0)
  const search = courier.byId('route-search')
  await search.fill(sought.waybill.slice(-4))
  await expect(stops).toHaveCount(1)
  await expect(stops).toHaveAttribute('data-order-id', records.orderId(sought.waybill))
  await shotBoth(page, fieldTerminal.url, 'route-search', { targets: true })
  // By the masked name the card shows, and by part of the address.
  const who = (await stops.locator('.who').innerText()).split('·')[0]!.trim()
  const address = (await stops.locator('.address').innerText()).trim()
  await search.fill(who)
  await expect(stops.filter({ hasText: who })).toHaveCount(await stops.count())
  await expect(page.locator(`[data-testid="route-stop"][data-sequence="${sought.stop}"]`)).toHaveCount(1)
  await search.fill(address.slice(-6))
  await expect(page.locator(`[data-testid="route-stop"][data-sequence="${sought.stop}"]`)).toHaveCount(1)
  await search.fill('no such stop 9999999')
  await expect(stops).toHaveCount(0)
  await expect(courier.byId('route-no-match')).toBeVisible()
  await search.fill('')

  // A tap opens the stop's order card: calling and a failure can be done, collecting waits for the parcel's scan.
  await courier.tap(`route-stop-${sought.stop}`)
  await expect(courier.byId('order-card')).toHaveAttribute('data-order-id', records.orderId(sought.waybill))
  await expect(courier.byId('order-opened')).toBeVisible()
  await expect(courier.byId('pay-digital')).toHaveCount(0)
  await expect(courier.byId('pay-cash')).toHaveCount(0)
  await expect(courier.byId('pay-failed')).toBeEnabled()
  await expect(courier.byId('call-customer')).toBeEnabled()
  await shotBoth(page, fieldTerminal.url, 'route-opened', { targets: true })
  for (const barcode of sought.barcodes) await courier.scan(barcode)
  await expect(courier.byId('order-opened')).toHaveCount(0)
  await expect(courier.byId('pay-digital')).toBeEnabled()

  // Skip stop 3 with a reason: it goes to the end, here and at the depot.
  await courier.byId('tab-route').click()
  const third = route.find((o) => o.stop === 3)!
  const thirdRow = page.locator('[data-testid="route-stop"]').filter({ has: page.getByTestId('route-stop-3') })
  const thirdStopId = await thirdRow.getAttribute('data-stop-id')
  await thirdRow.getByTestId('route-stop-move').click()
  await expect(courier.byId('move-sheet')).toBeVisible()
  await shotBoth(page, fieldTerminal.url, 'route-move-sheet', { targets: true })
  await courier.tap('skip-no_access')
  await expect(courier.byId('move-sheet')).toHaveCount(0)
  const skipped = page.locator(`[data-testid="route-stop"][data-stop-id="${thirdStopId}"]`)
  await expect(skipped).toHaveAttribute('data-sequence', String(stopCount))
  await expect(skipped).toHaveAttribute('data-skipped', 'no_access')
  await expect(stops.last()).toHaveAttribute('data-stop-id', thirdStopId!)
  await expect
    .poll(() => records.stop(third.waybill), { timeout: 10_000 })
    .toEqual({ sequence: stopCount, skipped_reason: 'no_access' })
  await shotBoth(page, fieldTerminal.url, 'route-skipped', { targets: true })

  // Move the next stop one place later: it swaps with the stop after it.
  const next = stops.first()
  const nextSequence = Number(await next.getAttribute('data-sequence'))
  const nextStopId = await next.getAttribute('data-stop-id')
  const nextOrder = route.find((o) => o.stop === nextSequence)!
  await next.getByTestId('route-stop-move').click()
  await courier.tap('move-later')
  const moved = page.locator(`[data-testid="route-stop"][data-stop-id="${nextStopId}"]`)
  await expect(moved).toHaveAttribute('data-sequence', String(nextSequence + 1))
  await expect(moved).toHaveAttribute('data-next', 'no')
  await expect.poll(() => records.stop(nextOrder.waybill).sequence, { timeout: 10_000 }).toBe(nextSequence + 1)
})

/** Every file under `dir`, read as bytes. */
function filesUnder(dir: string): Buffer[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name)
    return statSync(path).isDirectory() ? filesUnder(path) : [readFileSync(path)]
  })
}

test('calling the customer: a virtual number, never theirs; offline says so; a "not home" shows the call', async ({
  courier,
  route,
  sandbox,
  link,
  fieldTerminal,
  page,
}) => {
  const answers: Promise<string>[] = []
  page.on('response', (response: Response) => {
    if (new URL(response.url()).pathname.startsWith('/ipc/')) answers.push(response.text().catch(() => ''))
  })
  const records = new BackendRecords(sandbox.dbFile)
  const order = pickOrder(route, 'a single-parcel COD order', (o) => o.codFen > 0 && o.barcodes.length === 1)
  await courier.scan(order.barcodes[0]!)
  await expect(courier.byId('call-customer')).toHaveAttribute('data-calls', '0')
  await courier.tap('call-customer')
  const number = courier.byId('call-number')
  await expect(number).toBeVisible()
  await expect.poll(() => records.callBindings(order.waybill).length).toBe(1)
  const [binding] = records.callBindings(order.waybill)
  expect(binding!.provider).toBe('sandbox')
  await expect(number).toHaveAttribute('data-number', binding!.number)
  await expect(number).toContainText(binding!.number)
  const digits = binding!.number.replace(/[^\d+]/g, '')
  await expect(number).toHaveAttribute('href', new RegExp(`^tel:${digits.replace('+', '\\+')}(,\\d+)?$`))
  await expect(courier.byId('call-customer')).toHaveAttribute('data-calls', '1')
  await shotBoth(page, fieldTerminal.url, 'call-number', { targets: true })

  // A "not home" with the call as its evidence: in the sheet before choosing, and on the banner after.
  await courier.tap('pay-failed')
  await expect(courier.byId('failure-sheet-calls')).toContainText('1')
  await shotBoth(page, fieldTerminal.url, 'failure-sheet-called', { targets: true })
  await courier.tap('fail-not_home')
  await expect(courier.byId('delivery-done')).toHaveAttribute('data-method', 'failed')
  await expect(courier.byId('failure-calls')).toHaveAttribute('data-count', '1')
  await expect(courier.byId('failure-calls')).toContainText(binding!.number)
  await shotBoth(page, fieldTerminal.url, 'failure-call-evidence', { targets: true })
  await expect
    .poll(() => records.events(order.waybill).map((e) => [e.type, e.status]), { timeout: 10_000 })
    .toEqual(expect.arrayContaining([['call.attempted', 'applied']]))

  // The customer's own number never reached the device: not on screen, not in an answer, not in its data.
  const phone = records.recipientPhone(order.waybill)
  expect(phone).toMatch(/^1\d{10}$/)
  expect(await page.content()).not.toContain(phone)
  for (const text of await Promise.all(answers)) expect(text).not.toContain(phone)
  const files = filesUnder(fieldTerminal.dir)
  expect(files.length).toBeGreaterThan(0)
  for (const bytes of files) expect(bytes.indexOf(phone)).toBe(-1)

  // Without coverage the terminal says calling needs the network, and binds nothing.
  const other = pickOrder(
    route,
    'another single-parcel COD order',
    (o) => o.codFen > 0 && o.barcodes.length === 1 && o !== order,
  )
  await courier.scan(other.barcodes[0]!)
  link.setMode('offline')
  await expect(courier.byId('sync-status')).toHaveAttribute('data-online', 'no', { timeout: 15_000 })
  await courier.tap('call-customer')
  await expect(courier.byId('call-offline')).toBeVisible()
  await expect(courier.byId('call-number')).toHaveCount(0)
  await shotBoth(page, fieldTerminal.url, 'call-offline', { targets: true })
  link.setMode('online')
  expect(records.callBindings(other.waybill)).toEqual([])
})
