import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { plannedOutcome } from './plan'
import { renderReportHtml, writeReport } from './report'
import { summarize, type RoundResult, type StopResult } from './result'

/** A tiny PNG (1×1), standing in for a screenshot of the terminal. */
const PNG = Buffer.from(
  'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==',
  'base64',
)

function stopResult(n: number, fields: Partial<StopResult> = {}): StopResult {
  const expected = plannedOutcome({
    waybill: `JDRD0000000000${n}`,
    codFen: 6660,
    parcels: 1,
    action: { kind: 'digital' },
    customer: { kind: 'pays', afterMs: 0 },
    takenFen: null,
    address: '',
    recipientName: '',
    note: null,
    origin: 'listed',
    coverage: 'online',
  })
  return {
    n,
    waybill: `JDRD0000000000${n}`,
    codFen: 6660,
    parcels: 1,
    action: 'digital',
    customer: 'pays',
    coverage: 'online',
    note: null,
    startedMs: 5000 + n * 1000,
    endedMs: 5900 + n * 1000,
    actions: [`scan JDRD0000000000${n}-1-1-`, 'tap pay-digital'],
    interruptions: [],
    steps: [{ atMs: 5000 + n * 1000, who: 'courier', what: `scans JDRD0000000000${n}-1-1-` }],
    scanToCardMs: [31],
    tapToQrMs: 40,
    confirmToPaidMs: 60,
    paymentStates: ['waiting', 'paid'],
    customerPaid: { paidAt: '2026-05-16T08:00:00.000Z', transactionId: `tx_${n}`, receipt: false },
    customerRefused: null,
    expected,
    recorded: { ...expected, flags: [], confirmedVia: 'push' },
    problems: [],
    screenshot: null,
    stray: null,
    ...fields,
  }
}

function roundResult(stops: StopResult[], fields: Partial<RoundResult> = {}): RoundResult {
  return {
    round: 'Report <test>',
    file: 'e2e/rounds/test.yaml',
    seed: 'seed',
    startedAt: '2026-05-16T08:00:00.000Z',
    wallMs: 20_000,
    speed: 1,
    host: 'chromium',
    hostNote: 'browser host in Chromium',
    stops,
    figures: { scanToCard: summarize([31, 40]), tapToQr: summarize([40]), confirmToPaid: summarize([60]) },
    actionsPerDelivery: { digital: summarize([2, 2]), all: summarize([2, 2]) },
    syncLags: [{ mode: 'offline', from: 2, to: 2, atMs: 8000, events: 4, lagMs: 730 }],
    restarts: [],
    terminalEvents: [],
    acquirer: { delayMs: 0, duplicates: 0, outOfOrder: false, notifications: 2, deliveries: 2 },
    terminalTotals: { delivered: 2, failed: 0, digitalFen: 13320, cashFen: 0 },
    backendTotals: { delivered: 2, failed: 0, digitalFen: 13320, cashFen: 0 },
    dashboardTotals: null,
    moneyTotals: null,
    expectations: [],
    errors: [],
    shiftScreenshot: null,
    flagsOnTerminal: [],
    flagsPoppedUp: [],
    passed: true,
    summary: 'Round "Report <test>": PASSED',
    ...fields,
  }
}

describe('the round report', () => {
  it('shows a failed stop with its reason, its steps and its screenshot', () => {
    const failed = stopResult(2, {
      problems: ['"paid" and the return to scan did not happen within 30 s of the customer paying'],
      screenshot: 'stop-002.png',
      paymentStates: ['waiting', 'slow'],
    })
    const result = roundResult([stopResult(1), failed], {
      passed: false,
      expectations: [
        {
          name: 'stops that went as planned',
          expected: '2',
          actual: '1',
          held: false,
          reason: "stops 2 did not: see each stop's reasons",
          source: 'always',
        },
      ],
    })
    const html = renderReportHtml(result, (name) => (name === 'stop-002.png' ? 'data:image/png;base64,AAAA' : null))
    expect(html).toContain('FAILED')
    const section = html.slice(html.indexOf('id="failed-2"'))
    expect(section).toContain('Stop 2')
    expect(section).toContain('&quot;paid&quot; and the return to scan did not happen within 30 s')
    expect(section).toContain('<img src="data:image/png;base64,AAAA"')
    expect(section).toContain('scans JDRD00000000002-1-1-')
    expect(html).toContain('<a href="#failed-2">✗')
    expect(html).toContain('stops 2 did not: see each stop&#39;s reasons')
    expect(html).not.toContain('id="failed-1"')
  })

  it('has no failed-stop section when every stop went as planned, and escapes what it shows', () => {
    const html = renderReportHtml(roundResult([stopResult(1)]), () => null)
    expect(html).toContain('PASSED')
    expect(html).not.toContain('<h2>Failed stops</h2>')
    expect(html).toContain('Report &lt;test&gt;')
    expect(html).not.toContain('Report <test>')
  })

  it('opens offline: no script, nothing fetched, screenshots inside the page', () => {
    const dir = mkdtempSync(join(tmpdir(), 'tuotou-report-'))
    writeFileSync(join(dir, 'stop-002.png'), PNG)
    const result = roundResult([stopResult(1), stopResult(2, { problems: ['it broke'], screenshot: 'stop-002.png' })], {
      passed: false,
    })
    const written = writeReport(result, dir)
    const html = readFileSync(written.html, 'utf8')
    expect(html).not.toMatch(/<script|<link|@import|url\(/i)
    expect(html).not.toMatch(/(src|href)="(?!data:|#)/)
    expect(html).toContain(`data:image/png;base64,${PNG.toString('base64')}`)
    expect(JSON.parse(readFileSync(written.json, 'utf8'))).toEqual(result)
  })

  it('shows the three UI figures with p50 and p95, and the sync lag when coverage returned', () => {
    const html = renderReportHtml(roundResult([stopResult(1), stopResult(2)]), () => null)
    expect(html).toContain('Scan → order card')
    expect(html).toContain('Tap → QR')
    expect(html).toContain('Confirmation → &quot;paid&quot;')
    expect(html).toMatch(/p95 40 ms[\s\S]*p50 31 ms/)
    expect(html).toContain('730 ms')
  })

  it("shows the courier's money as the depot's money view tells it: collected, refunded, net, refunds due and owed", () => {
    const unread = renderReportHtml(roundResult([stopResult(1)]), () => null)
    expect(unread).toMatch(/Money \(acquirer-confirmed\)<\/th><td data-testid="report-money">not read/)
    const html = renderReportHtml(
      roundResult([stopResult(1)], {
        moneyTotals: {
          collectedFen: 40_260,
          digitalConfirmedFen: 23_460,
          cashFen: 16_800,
          awaitingFen: 0,
          owedFen: 19_900,
          refundsDueFen: 0,
          refundedFen: 16_800,
          netFen: 23_460,
        },
      }),
      () => null,
    )
    expect(html).toContain('collected ¥402.60 (e-CNY ¥234.60, cash ¥168.00), refunded ¥168.00, net ¥234.60')
    expect(html).toContain('refunds due ¥0.00, owed (to be verified, never found) ¥199.00')
  })
})
