import { formatFen } from '../shared/money'
import { BackendRecords } from './support/backend-records'
import { expect, test } from './support/fixtures'

test('the shift summary totals the round, takes the cash declaration, and ends the shift', async ({
  courier,
  route,
  sandbox,
  link,
}) => {
  const [first, second] = route.filter((o) => o.codFen > 0 && o.barcodes.length === 1)
  await courier.scan(first!.barcodes[0]!)
  await courier.tap('pay-cash')
  await courier.tap('cash-confirm')
  await courier.scan(second!.barcodes[0]!)
  await courier.tap('pay-failed')
  await courier.tap('fail-refused')

  await courier.byId('tab-shift').click()
  const totals = courier.byId('shift-totals')
  await expect(totals).toHaveAttribute('data-delivered', '1')
  await expect(totals).toHaveAttribute('data-failed', '1')
  await expect(totals).toHaveAttribute('data-cash-fen', String(first!.codFen))
  await expect(courier.byId('shift-cash-to-hand-in')).toHaveText(formatFen(first!.codFen))
  await expect(courier.byId('shift-unsent')).not.toHaveClass(/warn/, { timeout: 10_000 })

  // The courier counts the cash and declares it.
  await courier.type('cash-declare-amount', (first!.codFen / 100).toFixed(2))
  await courier.tap('cash-declare-submit')
  await expect(courier.byId('shift-declared')).toContainText(formatFen(first!.codFen))
  const records = new BackendRecords(sandbox.dbFile)
  await expect.poll(() => records.cashDeclarations(), { timeout: 10_000 }).toEqual([first!.codFen])

  // Everything has reached the depot and the cash is declared, but stops are left: the confirmation says only
  // that, and the shift ends even out of coverage; the close itself is queued and reaches the backend later.
  await expect(courier.byId('shift-unsent')).not.toHaveClass(/warn/, { timeout: 10_000 })
  link.setMode('offline')
  await expect(courier.byId('sync-status')).toHaveAttribute('data-online', 'no', { timeout: 15_000 })
  await courier.tap('shift-close')
  const confirm = courier.byId('shift-end-confirm')
  await expect(confirm).toHaveAttribute('data-pending-events', '0')
  await expect(confirm).toHaveAttribute('data-cash-undeclared-fen', '0')
  await expect(courier.byId('shift-end-stops')).toBeVisible()
  await courier.tap('shift-close-force')
  await expect(courier.byId('login-screen')).toBeVisible()
  link.setMode('online')
  await expect.poll(() => records.shiftsClosed(), { timeout: 20_000 }).toBe(1)
})

test('ending the shift waits for a confirmation while events are unsent', async ({ courier, route, link }) => {
  link.setMode('offline')
  await expect(courier.byId('sync-status')).toHaveAttribute('data-online', 'no', { timeout: 15_000 })
  const order = route.find((o) => o.codFen > 0 && o.barcodes.length === 1)!
  await courier.scan(order.barcodes[0]!)
  await courier.tap('pay-failed')
  await courier.tap('fail-not_home')
  await courier.byId('tab-shift').click()
  await expect(courier.byId('shift-unsent')).toHaveClass(/warn/)
  await courier.tap('shift-close')
  await expect(courier.byId('shift-end-confirm')).toBeVisible()
  await expect(courier.byId('shift-end-unsent')).toBeVisible()
  await courier.tap('shift-close-wait')
  await expect(courier.byId('shift-screen')).toBeVisible()
  await courier.tap('shift-close')
  await courier.tap('shift-close-force')
  await expect(courier.byId('login-screen')).toBeVisible()
})
