import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { expect, type Page } from '@playwright/test'
import { openBackendDb } from '../../backend/db/connect'
import { createCourierWithRoute, createSupervisorLogin, spawnBackend, type SpawnedBackend } from '../../backend/testing'
import { fenToDecimal, formatFen } from '../../shared/money'
import { parcelBarcode } from '../../shared/waybill'
import { ensureBuilt } from '../../scripts/launch'
import { Courier } from '../support/courier'
import { startCoverageLink, type CoverageLink } from '../support/coverage-link'
import { notifications, setBehaviour } from '../support/sandbox'
import { checkRound } from './checks'
import { announcedEvidence, checkProof, depotProofs, setProofRules, storedEvidence } from './proof-checks'
import { approveRefunds, dashboardTotals, enrollmentCode, moneyTotals } from './depot'
import { Doorstep, StopProblem } from './doorstep'
import { sleep, waitUntil, type RoundProcesses } from './lifecycle'
import type { Plan, PlannedStop } from './plan'
import { BackendRecords, DeviceRecords } from './records'
import { summarize, type RestartRecord, type RoundResult, type StopResult, type SyncLag } from './result'
import { launchTerminal, type PlayedTerminal } from './terminal-host'

export interface PlayOptions {
  file: string
  headed: boolean
  electronPath: string | null
  hostNote: string
  speed: number
  /** Where failed stops' screenshots go (the report's folder); none are kept without one. */
  reportDir: string | null
  processes: RoundProcesses
  progress(line: string): void
}

const describeAction = (stop: PlannedStop): string =>
  stop.action.kind === 'fail'
    ? `fail:${stop.action.reason}`
    : stop.action.kind === 'charge' && stop.wallet
      ? `charge (${stop.wallet.end})`
      : stop.action.kind

function describeCustomer(stop: PlannedStop): string | null {
  const customer = stop.customer
  if (!customer) return null
  switch (customer.kind) {
    case 'pays':
      return customer.afterMs > 0 ? `pays after ${customer.afterMs / 1000}s` : 'pays'
    case 'never-pays':
      return 'never pays'
    case 'pays-after-cash':
      return 'pays after cash'
    case 'pays-twice':
      return 'pays twice'
    case 'shows-receipt':
      return 'shows receipt'
  }
}

const clock = (ms: number): string => {
  const seconds = Math.floor(ms / 1000)
  return `${Math.floor(seconds / 60)}:${String(seconds % 60).padStart(2, '0')}`
}

/**
 * Plays a round against real processes: a fresh backend with the sandbox acquirer and the round's courier and
 * route, the coverage link between the terminal's core and the backend, and the terminal driven like a courier.
 * Then it lets everything sync, reads the shift summary, declares the cash, and checks what the backend and the
 * terminal hold against the plan and the file's expectations.
 */
export async function playRound(plan: Plan, options: PlayOptions): Promise<RoundResult> {
  const started = Date.now()
  const now = (): number => Date.now() - started
  const result: RoundResult = {
    round: plan.name,
    file: options.file,
    seed: plan.seed,
    startedAt: new Date(started).toISOString(),
    wallMs: 0,
    speed: options.speed,
    host: options.electronPath ? 'electron' : 'chromium',
    hostNote: options.hostNote,
    stops: [],
    figures: { scanToCard: summarize([]), tapToQr: summarize([]), confirmToPaid: summarize([]) },
    actionsPerDelivery: { digital: summarize([]), all: summarize([]) },
    syncLags: [],
    restarts: [],
    terminalEvents: [],
    acquirer: { ...plan.acquirer, notifications: 0, deliveries: 0 },
    terminalTotals: null,
    backendTotals: null,
    dashboardTotals: null,
    moneyTotals: null,
    refunds: [],
    expectations: [],
    errors: [],
    shiftScreenshot: null,
    flagsOnTerminal: [],
    flagsPoppedUp: [],
    passed: false,
    summary: '',
  }
  if (options.reportDir) mkdirSync(options.reportDir, { recursive: true })
  const screenshot = async (page: Page, name: string, testId?: string): Promise<string | null> => {
    if (!options.reportDir) return null
    try {
      const png = testId ? await page.getByTestId(testId).screenshot({ timeout: 5000 }) : await page.screenshot()
      writeFileSync(join(options.reportDir, name), png)
      return name
    } catch {
      return null
    }
  }

  ensureBuilt()
  // The backend: a real process, fresh SQLite file, sandbox acquirer; restarted on the same data and port.
  let backend: SpawnedBackend = await spawnBackend({
    sandbox: true,
    env: { TUOTOU_CHARGE_QUERY_FOR_MS: String(plan.acquirer.chargeQueryForMs) },
  })
  options.processes.add('backend', () => backend.stop('SIGTERM'))
  const records = new BackendRecords(backend.db)
  const arranged = openBackendDb(backend.db)
  let fixture
  let supervisor
  try {
    fixture = await createCourierWithRoute(arranged.db, {
      staffId: plan.courier.staffId,
      pin: plan.courier.pin,
      name: plan.courier.name,
      depot: plan.unverifiedLimit
        ? {
            unverifiedPerOrderFen: plan.unverifiedLimit.perOrderFen,
            unverifiedPerShiftFen: plan.unverifiedLimit.perShiftFen,
          }
        : undefined,
      stops: plan.stops.map((stop) => ({
        address: stop.address,
        orders: [
          { waybill: stop.waybill, codFen: stop.codFen, parcels: stop.parcels, recipientName: stop.recipientName },
        ],
      })),
    })
    supervisor = await createSupervisorLogin(arranged.db, fixture.depotId)
  } finally {
    await arranged.close()
  }
  // The depot's proof rules, set as a supervisor sets them, before the shift's manifest carries each policy.
  if (plan.proofRules) await setProofRules(backend.url, supervisor, plan.proofRules)
  const behaviour = {
    notifyDelayMs: plan.acquirer.delayMs,
    duplicates: plan.acquirer.duplicates,
    outOfOrder: plan.acquirer.outOfOrder,
    queryDelayMs: plan.acquirer.queryDelayMs,
    outage: false,
    ...(plan.refunds ? { refundDelayMs: plan.refunds.delayMs, refundOutcome: plan.refunds.outcome } : {}),
  }
  await setBehaviour(backend.url, behaviour)

  // The terminal's core reaches the backend only through its own link, so the round controls its coverage; a
  // second terminal (a swap) gets a link of its own, and the round's coverage is the terminal in hand's.
  const newLink = async (): Promise<CoverageLink> => {
    const opened = await startCoverageLink(backend.url)
    options.processes.add('coverage link', () => opened.close())
    return opened
  }
  let link = await newLink()
  const launch = (dataDir?: string, through: CoverageLink = link) =>
    launchTerminal({
      backendUrl: through.url,
      electronPath: options.electronPath,
      headed: options.headed,
      track: (stop) => options.processes.add('terminal', stop),
      dataDir,
      camera: plan.stops.some((stop) => stop.proof?.photo),
    })
  let terminal = await launch()
  let page = terminal.page
  let device = new DeviceRecords(terminal.deviceDb)
  let courier = new Courier(page)

  // A refund flag can pop up over whatever the courier is doing; they read it and tap it away, and it is noted.
  let current: StopResult | null = null
  const flagsSeen: { kind: string; text: string }[] = []
  const onPage = async (opened: Page): Promise<void> => {
    // A control that is not there fails the stop in seconds, not Playwright's default half minute.
    opened.setDefaultTimeout(10_000)
    await opened.addLocatorHandler(opened.getByTestId('flag-dialog'), async (dialog) => {
      for (let i = 0; i < 10 && (await dialog.isVisible()); i++) {
        const flag = dialog.getByTestId('payment-flag')
        const kind = (await flag.getAttribute('data-kind')) ?? 'unknown'
        const text = (await flag.innerText()).replace(/\s+/g, ' ')
        flagsSeen.push({ kind, text })
        await dialog.getByTestId('flag-dismiss').click()
        current?.interruptions.push(`read a refund flag (${kind}) and tapped it away`)
        current?.steps.push({ atMs: now(), who: 'courier', what: `reads the flag "${text}" and dismisses it` })
        await sleep(300)
      }
    })
  }
  await onPage(page)
  await courier.startShift(fixture.enrollmentCode, plan.courier.staffId, plan.courier.pin)
  /** Every terminal of the round, for the exactly-once check: the first one too after a swap. */
  const terminals: DeviceRecords[] = [device]
  /** The terminal given up at a swap, brought back at the end, and its link. */
  let swappedOut: { terminal: PlayedTerminal; link: CoverageLink } | null = null

  let restarting: Promise<void> = Promise.resolve()
  const lags: Promise<void>[] = []
  const restartRecords: RestartRecord[] = []
  const speed = options.speed
  const paidTimeoutMs = 30_000 + plan.acquirer.delayMs * 2

  const beforeStop = async (n: number, stop: StopResult): Promise<void> => {
    if (plan.acquirer.outage?.from === n) {
      behaviour.outage = true
      await setBehaviour(backend.url, behaviour)
      stop.steps.push({ atMs: now(), who: 'world', what: "the acquirer's merchant API goes down (503)" })
    }
    const span = plan.coverage.find((s) => s.from === n)
    if (span) {
      if (span.mode === 'flapping') {
        link.flap(span.everyMs)
        stop.steps.push({ atMs: now(), who: 'world', what: `coverage starts flapping every ${span.everyMs / 1000} s` })
      } else {
        link.setMode(span.mode)
        stop.steps.push({ atMs: now(), who: 'world', what: `coverage lost (${span.mode})` })
      }
    }
    const happens = plan.terminal.find((t) => t.at === n)
    if (happens?.kind === 'restart') {
      await terminal.restart(happens.signal).then(async (fresh) => {
        terminal = fresh
        page = fresh.page
        courier = new Courier(page)
        await onPage(page)
      })
      stop.steps.push({
        atMs: now(),
        who: 'world',
        what: `the terminal is stopped with ${happens.signal} and started again`,
      })
      const back = await page
        .getByTestId('scan-screen')
        .waitFor({ timeout: 20_000 })
        .then(() => true)
        .catch(() => false)
      result.terminalEvents.push({
        kind: 'restart',
        at: n,
        ok: back,
        outcome: back
          ? 'back on the scan screen with the shift, nothing to log in again'
          : 'the terminal did not come back to the scan screen',
      })
      if (!back) throw new Error(`the terminal did not come back after its restart before stop ${n}`)
    } else if (happens?.kind === 'swap') {
      // The battery dies: the first terminal stops at once, with whatever it had not sent.
      swappedOut = { terminal, link }
      await terminal.kill('SIGKILL')
      stop.steps.push({
        atMs: now(),
        who: 'world',
        what: 'the terminal’s battery dies; the courier takes a second one',
      })
      link = await newLink()
      terminal = await launch()
      page = terminal.page
      courier = new Courier(page)
      await onPage(page)
      device = new DeviceRecords(terminal.deviceDb)
      terminals.push(device)
      await courier.startShift(await enrollmentCode(backend.url, supervisor), plan.courier.staffId, plan.courier.pin)
      result.terminalEvents.push({
        kind: 'swap',
        at: n,
        ok: true,
        outcome: 'the courier logged in on a second terminal',
      })
      // Logged in (which needs coverage), the second terminal is where the first was: in the same stretch.
      const stretch = plan.coverage.find((s) => n >= s.from && n <= s.to)
      if (stretch?.mode === 'flapping') link.flap(stretch.everyMs)
      else if (stretch) link.setMode(stretch.mode)
    }
    const restart = plan.restarts.find((r) => r.at === n)
    if (restart) {
      await restarting
      const record: RestartRecord = { at: n, signal: restart.signal, downAtMs: now(), upAtMs: null }
      restartRecords.push(record)
      await backend.stop(restart.signal)
      stop.steps.push({ atMs: now(), who: 'world', what: `backend stopped with ${restart.signal}` })
      // It comes back while the courier works on: nobody at the door waits for a server.
      restarting = (async () => {
        await sleep(restart.downMs)
        backend = await backend.restart()
        // Interrupted while it came back: the stop already ran, so this one is stopped here.
        if (options.processes.stoppingNow) return backend.stop('SIGTERM')
        await setBehaviour(backend.url, behaviour)
        record.upAtMs = now()
      })()
    }
  }

  const afterStop = (n: number): void => {
    if (plan.acquirer.outage?.to === n) {
      behaviour.outage = false
      void setBehaviour(backend.url, behaviour)
    }
    const span = plan.coverage.find((s) => s.to === n)
    if (!span) return
    // Setting a mode also ends any flapping.
    link.setMode('online')
    const lag: SyncLag = { mode: span.mode, from: span.from, to: span.to, atMs: now(), events: 0, lagMs: null }
    result.syncLags.push(lag)
    const written = device.lastSeq()
    const acked = records.device()?.ackedSeq ?? 0
    lag.events = Math.max(0, written - acked)
    lags.push(
      (async () => {
        const back = Date.now()
        const done = await waitUntil(() => (records.device()?.ackedSeq ?? 0) >= written, 120_000, 50)
        if (done) lag.lagMs = Date.now() - back
      })(),
    )
  }

  let failedDeliveries = 0
  let problems = 0
  for (const stop of plan.stops) {
    const stopResult: StopResult = {
      n: stop.n,
      waybill: stop.waybill,
      codFen: stop.codFen,
      parcels: stop.parcels,
      action: describeAction(stop),
      customer: describeCustomer(stop),
      coverage: stop.coverage,
      note: stop.note,
      startedMs: now(),
      endedMs: 0,
      actions: [],
      interruptions: [],
      steps: [],
      scanToCardMs: [],
      tapToQrMs: null,
      confirmToPaidMs: null,
      paymentStates: [],
      customerPaid: null,
      customerRefused: null,
      expected: stop.expected,
      recorded: null,
      problems: [],
      screenshot: null,
      stray: null,
    }
    current = stopResult
    result.stops.push(stopResult)
    await beforeStop(stop.n, stopResult)
    const next = plan.stops[stop.n]
    const door = new Doorstep(
      {
        page,
        courier,
        acquirerUrl: () => backend.url,
        now,
        speed,
        patienceMs: plan.patienceMs,
        paidTimeoutMs,
        nextBarcode: next ? parcelBarcode(next.waybill, 1, next.parcels) : null,
        chargeQueryForMs: plan.acquirer.chargeQueryForMs,
      },
      stop,
      stopResult,
    )
    try {
      await door.play()
    } catch (error) {
      stopResult.problems.push(
        error instanceof StopProblem ? error.message : `the courier could not go on: ${firstLine(error)}`,
      )
      stopResult.screenshot = await screenshot(page, `stop-${String(stop.n).padStart(3, '0')}.png`)
      await recover(page)
    }
    stopResult.endedMs = now()
    afterStop(stop.n)
    if (stop.action.kind === 'fail') failedDeliveries++
    if (stopResult.problems.length > 0) problems++
    options.progress(
      `[${String(stop.n).padStart(String(plan.stops.length).length)}/${plan.stops.length}] ${clock(now())} ` +
        `${stop.waybill} ${stopResult.action}${stopResult.customer ? ` (${stopResult.customer})` : ''}` +
        `${stop.coverage === 'online' ? '' : ` [${stop.coverage}]`} ` +
        `${stopResult.problems.length === 0 ? 'ok' : 'FAILED'} in ${((stopResult.endedMs - stopResult.startedMs) / 1000).toFixed(1)} s, ` +
        `${stopResult.actions.length} actions · failed deliveries ${failedDeliveries} · problems ${problems}` +
        (stopResult.problems.length > 0 ? `\n      ${stopResult.problems.join('\n      ')}` : ''),
    )
  }
  current = null

  // The round is walked; now everything must reach the depot.
  await restarting
  link.setMode('online')
  await Promise.all(lags)
  if (swappedOut) {
    // The first terminal, charged again, comes back: it sends what it held, and learns the shift moved.
    const out = swappedOut as { terminal: PlayedTerminal; link: CoverageLink }
    out.link.setMode('online')
    const first = await launch(out.terminal.dataDir, out.link)
    const moved = await first.page
      .getByTestId('shift-moved')
      .waitFor({ timeout: 30_000 })
      .then(() => true)
      .catch(() => false)
    result.terminalEvents.push({
      kind: 'return',
      at: plan.stops.length,
      ok: moved,
      outcome: moved
        ? 'the first terminal came back, says the shift moved, and takes no new action'
        : 'the first terminal came back but did not say the shift had moved',
    })
    const firstDevice = terminals[0]!
    const done = await waitUntil(
      () => {
        const id = firstDevice.deviceId()
        return id !== null && records.ackedSeqOf(id) >= firstDevice.lastSeq()
      },
      60_000,
      100,
    )
    if (!done) result.errors.push('the first terminal did not send what it held within a minute of coming back')
  }
  options.progress(`${clock(now())} round walked; waiting for the terminal to sync and the acquirer to finish`)
  const syncedAll = async (): Promise<boolean> =>
    waitUntil(
      () =>
        terminals.every((held) => {
          const id = held.deviceId()
          return id !== null && records.ackedSeqOf(id) >= held.lastSeq()
        }),
      120_000,
      100,
    )
  if (!(await syncedAll())) result.errors.push('the terminal did not sync everything within 2 minutes of the round')
  const acquirerDone = await waitUntil(
    async () => (await notifications(backend.url)).every((n) => n.status !== 'pending'),
    60_000 + plan.acquirer.delayMs * 2,
    250,
  )
  if (!acquirerDone) result.errors.push('the acquirer still had notifications to send a minute after the round')
  if (!(await waitUntil(() => records.pendingSettlements() === 0, 60_000, 250))) {
    result.errors.push('"to be verified" payments were still waiting for a verdict a minute after the round')
  }
  // Flags raised by the last syncs and verdicts reach the terminal through its stream: wait for them to land.
  await syncedAll()
  await waitUntil(
    () => {
      const held = new Set(device.flags().map((flag) => `${flag.waybill} ${flag.kind}`))
      return [...records.orders().values()].every((order) =>
        order.flags.every((flag) => held.has(`${order.waybill} ${flag.kind}`)),
      )
    },
    30_000,
    250,
  )

  // End of shift: the courier opens the shift summary and declares the cash to hand in.
  await page.getByTestId('tab-shift').click()
  const totals = page.getByTestId('shift-totals')
  let cashToHandIn = 0
  try {
    await totals.waitFor({ timeout: 10_000 })
    await waitUntil(async () => (await totals.getAttribute('data-pending-events')) === '0', 30_000, 200)
    if (terminals.length > 1) {
      // After a swap the terminal in hand learns of the first one's late deliveries from the backend.
      const delivered = [...records.orders().values()].filter((o) => o.status === 'delivered').length
      await waitUntil(async () => Number(await totals.getAttribute('data-delivered')) === delivered, 30_000, 200)
    }
    const attribute = async (name: string): Promise<number> => Number(await totals.getAttribute(name))
    result.terminalTotals = {
      delivered: await attribute('data-delivered'),
      failed: await attribute('data-failed'),
      digitalFen: await attribute('data-digital-fen'),
      cashFen: await attribute('data-cash-fen'),
    }
    cashToHandIn = result.terminalTotals.cashFen
    const declaredBefore = device.lastSeq()
    // A blind count: the field starts empty, and the courier types what was counted.
    await courier.type('cash-declare-amount', fenToDecimal(cashToHandIn))
    await courier.tap('cash-declare-submit')
    await expect(page.getByTestId('shift-declared')).toContainText(formatFen(cashToHandIn))
    // The declaration is an outbox event like any other; the round waits for it to reach the depot.
    await waitUntil(() => device.lastSeq() > declaredBefore, 10_000)
    await syncedAll()
  } catch (error) {
    result.errors.push(
      `the shift summary could not be read or the cash declared: ${(error as Error).message.split('\n')[0]}`,
    )
  }
  const terminalFlags: { kind: string; text: string }[] = []
  for (const item of await page.getByTestId('shift-flags').locator('li[data-kind]').all()) {
    terminalFlags.push({ kind: (await item.getAttribute('data-kind')) ?? '', text: await item.innerText() })
  }
  result.flagsOnTerminal = terminalFlags
  result.flagsPoppedUp = flagsSeen
  result.shiftScreenshot = await screenshot(page, 'shift-summary.png', 'shift-screen')

  try {
    result.dashboardTotals = await dashboardTotals(backend.url, supervisor, plan.courier.staffId, fixture.routeDate)
  } catch (error) {
    result.errors.push(`the depot dashboard could not be read: ${firstLine(error)}`)
  }
  if (plan.refunds) {
    try {
      // Each attempt takes the acquirer `delay`; the backend asks again after its own interval.
      const wait = 15_000 + 2 * plan.refunds.delayMs
      result.refunds = await approveRefunds(backend.url, supervisor, fixture.routeDate, plan.refunds.retry, wait)
    } catch (error) {
      result.errors.push(`the supervisor could not approve the refunds: ${firstLine(error)}`)
    }
  }
  try {
    result.moneyTotals = await moneyTotals(backend.url, supervisor, plan.courier.staffId, fixture.routeDate)
  } catch (error) {
    result.errors.push(`the depot money view could not be read: ${firstLine(error)}`)
  }

  const sent = await notifications(backend.url).catch(() => [])
  result.acquirer.notifications = sent.length
  result.acquirer.deliveries = sent.reduce((sum, n) => sum + n.attempts, 0)
  result.restarts = restartRecords

  // Evidence files go up after their events: wait for the backend to store what the stops planned.
  const plannedFiles = plan.expect.proof?.value.files ?? 0
  if (plannedFiles > 0) {
    const storedAll = await waitUntil(
      () => storedEvidence(backend.db).filter((row) => row.stored).length >= plannedFiles,
      60_000,
      250,
    )
    if (!storedAll) result.errors.push('the backend did not store every evidence file within a minute of the round')
  }
  // Proof is checked first, so its problems count among the stops that did not go as planned.
  let proofExpectations: RoundResult['expectations'] = []
  if (plan.expect.proof) {
    try {
      const checked = checkProof(plan, result.stops, {
        proofs: await depotProofs(backend.url, supervisor, fixture.routeDate),
        stored: storedEvidence(backend.db),
        announced: terminals.flatMap((held) => announcedEvidence(held.file)),
      })
      proofExpectations = checked.expectations
      result.proof = checked.summary
    } catch (error) {
      result.errors.push(`the proof could not be checked: ${firstLine(error)}`)
    }
  }
  checkRound(plan, result, {
    orders: records.orders(),
    devices: terminals.map((held) => {
      const id = held.deviceId()
      return {
        backendDevice: id ? { deviceId: id, ackedSeq: records.ackedSeqOf(id) } : null,
        backendEvents: id ? records.deviceEvents(id) : [],
        outbox: held.outbox(),
      }
    }),
    cashDeclarations: records.cashDeclarations(),
    cashToHandInFen: cashToHandIn,
    terminalFlags,
  })
  result.expectations.push(...proofExpectations)

  // Failed stops found only by the checks get their screenshot too: the terminal at the end is what there is.
  const delivered = result.stops.filter((s) => s.expected.status === 'delivered' && s.problems.length === 0)
  result.figures = {
    scanToCard: summarize(result.stops.flatMap((s) => s.scanToCardMs)),
    tapToQr: summarize(result.stops.flatMap((s) => (s.tapToQrMs === null ? [] : [s.tapToQrMs]))),
    confirmToPaid: summarize(result.stops.flatMap((s) => (s.confirmToPaidMs === null ? [] : [s.confirmToPaidMs]))),
  }
  result.actionsPerDelivery = {
    digital: summarize(
      delivered
        .filter((s) => s.action === 'digital' && s.customer === 'pays' && s.parcels === 1)
        .map((s) => s.actions.length),
    ),
    all: summarize(delivered.map((s) => s.actions.length)),
  }
  result.wallMs = now()
  result.passed =
    result.errors.length === 0 &&
    result.stops.every((s) => s.problems.length === 0) &&
    result.expectations.every((e) => e.held)
  const failedStops = result.stops.filter((s) => s.problems.length > 0).length
  const held = result.expectations.filter((e) => e.held).length
  const backendTotals = result.backendTotals
  result.summary =
    `Round "${plan.name}": ${result.passed ? 'PASSED' : 'FAILED'}, ${plan.stops.length} stops in ${(result.wallMs / 1000).toFixed(1)} s; ` +
    `${failedStops} failed stops; ${held}/${result.expectations.length} expectations held` +
    (backendTotals
      ? `; delivered ${backendTotals.delivered}, failed ${backendTotals.failed}, digital ${formatFen(backendTotals.digitalFen)}, cash ${formatFen(backendTotals.cashFen)}`
      : '') +
    (result.errors.length > 0 ? `; ${result.errors.join('; ')}` : '')
  return result
}

const firstLine = (error: unknown): string => (error instanceof Error ? error.message : String(error)).split('\n')[0]!

/** After a failed stop: close whatever sheet or panel is open so the next scan starts clean (not counted). */
async function recover(page: Page): Promise<void> {
  for (const testId of ['failure-cancel', 'payment-back', 'cash-back']) {
    const control = page.getByTestId(testId)
    if (await control.isVisible().catch(() => false)) await control.click({ timeout: 2000 }).catch(() => undefined)
  }
}
