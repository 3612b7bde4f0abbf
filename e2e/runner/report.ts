import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { formatFen } from '../../shared/money'
import type { Percentiles, RoundResult, StopResult } from './result'

/**
 * The round's report: `report.json` (the result as it is) and `report.html`, one self-contained page (inline CSS
 * and SVG, screenshots as data URLs) that opens offline, with no script and nothing fetched.
 */

const escape = (text: unknown): string =>
  String(text).replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!)

const plural = (n: number, one: string, many: string): string => `${n} ${n === 1 ? one : many}`
const ms = (value: number | null): string => (value === null ? '—' : `${Math.round(value)} ms`)
const seconds = (value: number): string => `${(value / 1000).toFixed(1)} s`

/** The UI figures and the bars DESIGN section 7 holds them to (p95). */
const FIGURES = [
  { key: 'scanToCard', label: 'Scan → order card', bar: 100 },
  { key: 'tapToQr', label: 'Tap → QR', bar: 150 },
  { key: 'confirmToPaid', label: 'Confirmation → "paid"', bar: 500 },
] as const

const ACTION_COLOURS: Record<string, string> = {
  digital: '#1f6feb',
  cash: '#2da44e',
  'cash-short': '#7a9a01',
  prepaid: '#8c959f',
  'to-be-verified': '#8250df',
  fail: '#d4a72c',
}
const colourOf = (stop: StopResult): string => ACTION_COLOURS[stop.action.split(':')[0]!] ?? '#57606a'

function figureCard(label: string, figure: Percentiles, bar: number): string {
  const p95 = figure.p95
  const verdict = p95 === null ? 'none' : p95 < bar ? 'under' : 'over'
  const width = 220
  const scale = (value: number): number => Math.min(width, (value / (bar * 2)) * width)
  return `<div class="card figure">
  <h3>${escape(label)}</h3>
  <p class="big">p95 ${ms(p95)}</p>
  <p>p50 ${ms(figure.p50)} · max ${ms(figure.max)} · ${figure.count} samples</p>
  <svg width="${width}" height="26" role="img" aria-label="p50 and p95 against the ${bar} ms bar">
    <rect x="0" y="8" width="${width}" height="10" fill="#eaeef2" rx="3"/>
    ${figure.p95 === null ? '' : `<rect x="0" y="8" width="${scale(figure.p95)}" height="10" fill="${verdict === 'under' ? '#2da44e' : '#cf222e'}" rx="3"/>`}
    ${figure.p50 === null ? '' : `<rect x="0" y="8" width="${scale(figure.p50)}" height="10" fill="#0969da" opacity="0.6" rx="3"/>`}
    <line x1="${width / 2}" x2="${width / 2}" y1="2" y2="24" stroke="#24292f" stroke-width="2"/>
  </svg>
  <p class="muted">bar: p95 &lt; ${bar} ms (the black line) · ${verdict === 'none' ? 'no samples' : verdict === 'under' ? 'clears it' : 'over it'}</p>
</div>`
}

/** The round on one time axis: each stop a bar, coverage stretches shaded, backend restarts marked. */
function timeline(result: RoundResult): string {
  const width = 1100
  const rowHeight = result.stops.length > 60 ? 4 : 10
  const top = 24
  const height = top + result.stops.length * rowHeight + 28
  // From the first scan to the end: enrolling and logging in are not part of the round's time at the doors.
  const start = result.stops[0]?.startedMs ?? 0
  const end = Math.max(start + 1, result.wallMs)
  const x = (atMs: number): number => 40 + ((atMs - start) / (end - start)) * (width - 60)
  const parts: string[] = []
  for (const lag of result.syncLags) {
    const first = result.stops.find((s) => s.n === lag.from)
    if (!first) continue
    parts.push(
      `<rect x="${x(first.startedMs)}" y="${top - 4}" width="${Math.max(1, x(lag.atMs) - x(first.startedMs))}" height="${height - top - 20}" fill="${lag.mode === 'flapping' ? '#fff8c5' : '#ffebe9'}"><title>${escape(`${lag.mode}, stops ${lag.from}–${lag.to}`)}</title></rect>`,
    )
    if (lag.lagMs !== null) {
      parts.push(
        `<rect x="${x(lag.atMs)}" y="${top - 4}" width="${Math.max(1, x(lag.atMs + lag.lagMs) - x(lag.atMs))}" height="${height - top - 20}" fill="#ddf4ff"><title>${escape(`sync after coverage returned: ${lag.lagMs} ms`)}</title></rect>`,
      )
    }
  }
  result.stops.forEach((stop, i) => {
    const y = top + i * rowHeight
    const failed = stop.problems.length > 0
    parts.push(
      `<rect x="${x(stop.startedMs)}" y="${y}" width="${Math.max(2, x(stop.endedMs) - x(stop.startedMs))}" height="${rowHeight - 1}" fill="${colourOf(stop)}"${failed ? ' stroke="#cf222e" stroke-width="2"' : ''}><title>${escape(`stop ${stop.n} ${stop.waybill} ${stop.action}: ${seconds(stop.endedMs - stop.startedMs)}${failed ? ` — ${stop.problems.join('; ')}` : ''}`)}</title></rect>`,
    )
  })
  for (const restart of result.restarts) {
    parts.push(
      `<line x1="${x(restart.downAtMs)}" x2="${x(restart.downAtMs)}" y1="${top - 8}" y2="${height - 20}" stroke="#cf222e" stroke-dasharray="4 3" stroke-width="2"><title>backend ${escape(restart.signal)} before stop ${restart.at}</title></line>`,
    )
  }
  const ticks: string[] = []
  const span = end - start
  const step = span > 240_000 ? 60_000 : span > 60_000 ? 15_000 : 5_000
  for (let t = start; t <= end; t += step) {
    ticks.push(
      `<line x1="${x(t)}" x2="${x(t)}" y1="${height - 20}" y2="${height - 14}" stroke="#57606a"/><text x="${x(t)}" y="${height - 2}" text-anchor="middle">${Math.round(t / 1000)} s</text>`,
    )
  }
  const every = result.stops.length > 60 ? 25 : result.stops.length > 10 ? 5 : 1
  for (let n = every; n <= result.stops.length; n += every) {
    if (n === 1 || n === result.stops.length) continue
    ticks.push(`<text x="0" y="${top + (n - 1) * rowHeight + rowHeight}">${n}</text>`)
  }
  return `<svg class="timeline" viewBox="0 0 ${width} ${height}" width="100%" role="img" aria-label="per-stop timeline">
  <text x="0" y="12">stop 1</text><text x="0" y="${height - 24}">${result.stops.length}</text>
  ${parts.join('\n  ')}
  ${ticks.join('\n  ')}
</svg>`
}

function legend(): string {
  const swatch = (colour: string, label: string, extra = ''): string =>
    `<span class="swatch"><svg width="14" height="14"><rect width="14" height="14" fill="${colour}"${extra}/></svg>${escape(label)}</span>`
  return `<p class="legend">${Object.entries(ACTION_COLOURS)
    .map(([action, colour]) => swatch(colour, action))
    .join(
      '',
    )}${swatch('#ffebe9', 'no coverage')}${swatch('#fff8c5', 'flapping')}${swatch('#ddf4ff', 'syncing after coverage returned')}${swatch('#ffffff', 'failed stop', ' stroke="#cf222e" stroke-width="3"')}<span class="swatch">┆ backend restart</span></p>`
}

function outcomeText(stop: StopResult): string {
  const r = stop.recorded
  if (!r) return '—'
  const what =
    r.status === 'failed'
      ? `failed: ${r.failureReason ?? '?'}`
      : `${r.method ?? '?'} ${r.method === 'prepaid' ? '' : formatFen(r.collectedFen)}`
  const extras = [
    r.confirmedVia ? `via ${r.confirmedVia}` : '',
    r.flags.length > 0 ? `flagged: ${r.flags.join(', ')}` : '',
    r.settlement ? `verdict: ${r.settlement}` : '',
  ].filter(Boolean)
  return `${escape(what)}${extras.length > 0 ? `<br><span class="muted">${escape(extras.join(' · '))}</span>` : ''}`
}

function stopRow(stop: StopResult): string {
  const failed = stop.problems.length > 0
  return `<tr class="${failed ? 'failed' : ''}" id="stop-${stop.n}">
  <td>${stop.n}</td>
  <td class="mono">${escape(stop.waybill)}${stop.parcels > 1 ? ` <span class="muted">×${stop.parcels}</span>` : ''}</td>
  <td class="num">${stop.codFen > 0 ? formatFen(stop.codFen) : '—'}</td>
  <td><span class="dot" style="background:${colourOf(stop)}"></span>${escape(stop.action)}${stop.customer ? `<br><span class="muted">${escape(stop.customer)}</span>` : ''}</td>
  <td>${stop.coverage === 'online' ? '' : `<span class="tag">${escape(stop.coverage)}</span>`}</td>
  <td class="num">${seconds(stop.startedMs)}</td>
  <td class="num">${seconds(stop.endedMs - stop.startedMs)}</td>
  <td title="${escape(stop.actions.join('\n'))}">${stop.actions.length}${stop.interruptions.length > 0 ? ` <span class="muted">+${stop.interruptions.length}</span>` : ''}</td>
  <td>${stop.scanToCardMs.map((v) => Math.round(v)).join(', ') || '—'}</td>
  <td class="num">${ms(stop.tapToQrMs)}</td>
  <td class="num">${ms(stop.confirmToPaidMs)}</td>
  <td>${escape(stop.paymentStates.join(' → ') || '')}</td>
  <td>${outcomeText(stop)}</td>
  <td>${failed ? `<a href="#failed-${stop.n}">✗ ${escape(stop.problems[0]!)}</a>` : '✓'}</td>
</tr>`
}

function stepsList(stop: StopResult): string {
  return `<ol class="steps">${stop.steps
    .map(
      (s) =>
        `<li><span class="t">${seconds(s.atMs)}</span> <span class="who ${s.who}">${s.who}</span> ${escape(s.what)}</li>`,
    )
    .join('')}</ol>`
}

/** The report page for a round. `image` turns a screenshot's file name into a data URL (null when missing). */
/** Proof of delivery as the backend holds it, with each file read back from its store; none in a round without. */
function proofSection(result: RoundResult): string {
  const proof = result.proof
  if (!proof) return ''
  const zero = (n: number): string => `<span style="color:${n === 0 ? 'var(--good)' : 'var(--bad)'}">${n}</span>`
  const codeStops = result.stops.filter((stop) => stop.actions.some((a) => a === 'tap proof-code-submit'))
  return `<h2>Proof of delivery</h2>
<div class="cards">
  <div class="card"><h3>Proofs given</h3><p class="big">${proof.given.code + proof.given.photo + proof.given.signature}</p><p>codes ${proof.given.code} · photos ${proof.given.photo} · signatures ${proof.given.signature}</p></div>
  <div class="card"><h3>Delivery codes</h3><p class="big">${proof.codesVerified}</p><p>verified; ${proof.codesLocked} locked after every try; ${proof.overrides} overrides</p></div>
  <div class="card"><h3>Evidence files</h3><p class="big">${proof.verified}/${proof.uploaded}</p><p>hashes verified from the backend's store / files stored</p></div>
  <div class="card"><h3>Lost · duplicated · wrong order</h3><p class="big">${zero(proof.lost)} · ${zero(proof.duplicated)} · ${zero(proof.misfiled)}</p><p>checked against the backend's stored evidence</p></div>
</div>
<p class="muted">Deliberate actions at stops with a delivery code (digits typed count as one): ${
    codeStops.map((stop) => `stop ${stop.n}: ${stop.actions.length}`).join(', ') || 'none'
  }.</p>
`
}

export function renderReportHtml(result: RoundResult, image: (name: string) => string | null): string {
  const failedStops = result.stops.filter((s) => s.problems.length > 0)
  const deliveries = result.stops.filter((s) => s.expected.status === 'delivered').length
  const expectationRows = result.expectations
    .map(
      (e) => `<tr class="${e.held ? '' : 'failed'}">
  <td>${e.held ? '✓' : '✗'}</td><td>${escape(e.name)}</td><td>${escape(e.expected)}</td><td>${escape(e.actual)}</td>
  <td class="muted">${e.source === 'file' ? 'round file' : e.source === 'plan' ? 'as the stops plan' : 'always'}</td>
  <td>${escape(e.reason ?? '')}</td></tr>`,
    )
    .join('\n')
  const lagRows = result.syncLags
    .map(
      (lag) =>
        `<tr><td>${escape(lag.mode)}</td><td>${lag.from}–${lag.to}</td><td>${seconds(lag.atMs)}</td><td>${lag.events}</td><td>${lag.lagMs === null ? '<strong>never synced</strong>' : ms(lag.lagMs)}</td></tr>`,
    )
    .join('')
  const failedSections = failedStops
    .map((stop) => {
      const shot = stop.screenshot ? image(stop.screenshot) : null
      return `<section class="failed-stop" id="failed-${stop.n}">
  <h3>Stop ${stop.n} · <span class="mono">${escape(stop.waybill)}</span> · ${escape(stop.action)}${stop.customer ? ` (${escape(stop.customer)})` : ''}</h3>
  <ul class="reasons">${stop.problems.map((p) => `<li>${escape(p)}</li>`).join('')}</ul>
  <div class="failed-body">
    ${shot ? `<img src="${shot}" alt="the terminal when stop ${stop.n} failed" width="240">` : '<p class="muted">No screenshot: the stop failed in the checks after the round, when the terminal had moved on.</p>'}
    ${stepsList(stop)}
  </div>
</section>`
    })
    .join('\n')
  const shift = result.shiftScreenshot ? image(result.shiftScreenshot) : null
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escape(result.round)} — round report</title>
<style>
  :root { color-scheme: light; --fg: #1f2328; --muted: #59636e; --line: #d1d9e0; --bad: #cf222e; --good: #1a7f37; }
  * { box-sizing: border-box; }
  body { font: 14px/1.45 system-ui, 'Noto Sans CJK SC', 'DejaVu Sans', sans-serif; color: var(--fg); margin: 0; background: #f6f8fa; }
  main { max-width: 1180px; margin: 0 auto; padding: 20px 24px 60px; }
  h1 { font-size: 24px; margin: 0 0 4px; }
  h2 { font-size: 18px; margin: 28px 0 10px; padding-bottom: 4px; border-bottom: 1px solid var(--line); }
  h3 { font-size: 15px; margin: 0 0 6px; }
  .verdict { display: inline-block; padding: 2px 10px; border-radius: 6px; color: #fff; font-weight: 700; margin-left: 8px; font-size: 16px; vertical-align: middle; }
  .verdict.passed { background: var(--good); } .verdict.failed { background: var(--bad); }
  .summary { font-size: 15px; margin: 6px 0; }
  .muted { color: var(--muted); }
  .mono { font-family: ui-monospace, 'DejaVu Sans Mono', monospace; font-size: 13px; }
  .cards { display: flex; flex-wrap: wrap; gap: 12px; }
  .card { background: #fff; border: 1px solid var(--line); border-radius: 8px; padding: 12px 14px; min-width: 150px; }
  .card p { margin: 2px 0; } .card .big { font-size: 22px; font-weight: 700; }
  table { border-collapse: collapse; width: 100%; background: #fff; border: 1px solid var(--line); }
  th, td { text-align: left; padding: 5px 7px; border-bottom: 1px solid var(--line); vertical-align: top; }
  td.num { white-space: nowrap; font-variant-numeric: tabular-nums; }
  th { background: #f6f8fa; font-weight: 600; position: sticky; top: 0; }
  tr.failed td { background: #ffebe9; }
  tr.failed td:first-child { border-left: 4px solid var(--bad); }
  .dot { display: inline-block; width: 10px; height: 10px; border-radius: 50%; margin-right: 5px; }
  .tag { background: #ffebe9; color: #82071e; border-radius: 4px; padding: 0 5px; font-size: 12px; }
  .timeline { background: #fff; border: 1px solid var(--line); border-radius: 8px; font-size: 11px; fill: var(--muted); }
  .legend { display: flex; flex-wrap: wrap; gap: 12px; margin: 6px 0; }
  .swatch { display: inline-flex; align-items: center; gap: 4px; }
  .failed-stop { background: #fff; border: 1px solid var(--bad); border-radius: 8px; padding: 12px; margin: 12px 0; }
  .failed-body { display: flex; gap: 16px; align-items: flex-start; }
  .failed-body img { border: 1px solid var(--line); border-radius: 6px; }
  .reasons { color: var(--bad); font-weight: 600; margin: 4px 0 10px; }
  .steps { margin: 0; padding-left: 18px; font-size: 13px; }
  .steps .t { color: var(--muted); font-variant-numeric: tabular-nums; }
  .who { font-size: 11px; border-radius: 3px; padding: 0 4px; background: #eaeef2; }
  .who.customer { background: #fbefff; } .who.terminal { background: #ddf4ff; } .who.world { background: #fff8c5; }
  details { margin: 4px 0; } summary { cursor: pointer; }
  .two { display: grid; grid-template-columns: 1fr 260px; gap: 16px; align-items: start; }
</style>
</head>
<body>
<main>
<h1>${escape(result.round)}<span class="verdict ${result.passed ? 'passed' : 'failed'}">${result.passed ? 'PASSED' : 'FAILED'}</span></h1>
<p class="summary">${escape(result.summary)}</p>
<p class="muted">${escape(result.file)} · seed ${escape(result.seed)} · started ${escape(result.startedAt)} · speed ×${result.speed} · terminal: ${escape(result.hostNote)}</p>
${result.errors.length > 0 ? `<ul class="reasons">${result.errors.map((e) => `<li>${escape(e)}</li>`).join('')}</ul>` : ''}

<h2>At a glance</h2>
<div class="cards">
  <div class="card"><h3>Stops</h3><p class="big">${result.stops.length}</p><p>${plural(deliveries, 'delivery', 'deliveries')} and ${plural(result.stops.length - deliveries, 'failure', 'failures')} planned</p></div>
  <div class="card"><h3>Failed stops</h3><p class="big" style="color:${failedStops.length ? 'var(--bad)' : 'var(--good)'}">${failedStops.length}</p><p>${result.expectations.filter((e) => !e.held).length} expectations did not hold</p></div>
  <div class="card"><h3>Wall time</h3><p class="big">${seconds(result.wallMs)}</p><p>${seconds(result.wallMs / Math.max(1, result.stops.length))} a stop, sync and checks included</p></div>
  <div class="card"><h3>Deliberate actions</h3><p class="big">${result.actionsPerDelivery.digital.max ?? '—'}</p><p>at most, per one-parcel digital delivery paid at once<br>(${result.actionsPerDelivery.digital.count} of them; target 2: the scan and the tap)<br>median over all deliveries: ${result.actionsPerDelivery.all.p50 ?? '—'}</p></div>
</div>
<div class="cards" style="margin-top:12px">
${FIGURES.map((f) => figureCard(f.label, result.figures[f.key], f.bar)).join('\n')}
</div>

<h2>Expectations</h2>
<table><thead><tr><th></th><th>What</th><th>Expected</th><th>Actual</th><th>From</th><th>Why it failed</th></tr></thead>
<tbody>${expectationRows}</tbody></table>

${proofSection(result)}
<h2>Timeline</h2>
${legend()}
${timeline(result)}

<h2>Coverage and sync</h2>
${
  result.syncLags.length === 0
    ? '<p class="muted">Coverage held the whole round.</p>'
    : `<table><thead><tr><th>Coverage</th><th>Stops</th><th>Back at</th><th>Events waiting</th><th>Sync lag (all of them in the backend)</th></tr></thead><tbody>${lagRows}</tbody></table>`
}
${
  result.restarts.length === 0
    ? ''
    : `<p>Backend restarts: ${result.restarts
        .map(
          (r) =>
            `before stop ${r.at} (${escape(r.signal)}, down at ${seconds(r.downAtMs)}, back at ${r.upAtMs === null ? 'never' : seconds(r.upAtMs)})`,
        )
        .join('; ')}</p>`
}
<p class="muted">Acquirer: notifications delayed ${ms(result.acquirer.delayMs)}, ${result.acquirer.duplicates} extra copies each, ${result.acquirer.outOfOrder ? 'out of order' : 'in order'}; ${result.acquirer.notifications} notifications, ${result.acquirer.deliveries} deliveries.</p>

${failedStops.length > 0 ? `<h2>Failed stops</h2>\n${failedSections}` : ''}

<h2>Stops</h2>
<table class="stops"><thead><tr><th>#</th><th>Waybill</th><th>Due</th><th>Courier / customer</th><th>Coverage</th><th>At</th><th>Took</th><th>Actions</th><th>Scan→card ms</th><th>Tap→QR</th><th>Conf.→paid</th><th>Payment states</th><th>Backend recorded</th><th>Result</th></tr></thead>
<tbody>
${result.stops.map(stopRow).join('\n')}
</tbody></table>

<h2>Every step</h2>
${result.stops
  .map(
    (stop) =>
      `<details${stop.problems.length > 0 ? ' open' : ''}><summary>Stop ${stop.n} · ${escape(stop.waybill)} · ${escape(stop.action)} · ${stop.actions.length} actions: ${escape(stop.actions.join(', '))}</summary>${stepsList(stop)}</details>`,
  )
  .join('\n')}

<h2>End of shift</h2>
<div class="two">
  <table><tbody>
    <tr><th>Terminal</th><td>${result.terminalTotals ? escape(`delivered ${result.terminalTotals.delivered}, failed ${result.terminalTotals.failed}, digital ${formatFen(result.terminalTotals.digitalFen)}, cash ${formatFen(result.terminalTotals.cashFen)}`) : 'not read'}</td></tr>
    <tr><th>Depot dashboard</th><td>${result.dashboardTotals ? escape(`delivered ${result.dashboardTotals.delivered}, failed ${result.dashboardTotals.failed}, digital ${formatFen(result.dashboardTotals.digitalFen)}, cash ${formatFen(result.dashboardTotals.cashFen)}`) : 'not read'}</td></tr>
    <tr><th>Refunds approved</th><td data-testid="report-refunds">${(result.refunds ?? []).length === 0 ? 'none' : escape((result.refunds ?? []).map((r) => `${r.waybill} ${formatFen(r.amountFen)} ${r.status}${r.retried ? ' (retried)' : ''}, ${r.attempts} attempt${r.attempts === 1 ? '' : 's'}`).join('; '))}</td></tr>
    <tr><th>Money (acquirer-confirmed)</th><td data-testid="report-money">${result.moneyTotals ? escape(`collected ${formatFen(result.moneyTotals.collectedFen)} (e-CNY ${formatFen(result.moneyTotals.digitalConfirmedFen)}, cash ${formatFen(result.moneyTotals.cashFen)}), refunded ${formatFen(result.moneyTotals.refundedFen)}, net ${formatFen(result.moneyTotals.netFen)}; refunds due ${formatFen(result.moneyTotals.refundsDueFen)}, owed (to be verified, never found) ${formatFen(result.moneyTotals.owedFen)}, awaiting confirmation ${formatFen(result.moneyTotals.awaitingFen)}`) : 'not read'}</td></tr>
    <tr><th>Backend</th><td>${result.backendTotals ? escape(`delivered ${result.backendTotals.delivered}, failed ${result.backendTotals.failed}, digital ${formatFen(result.backendTotals.digitalFen)}, cash ${formatFen(result.backendTotals.cashFen)}`) : 'not read'}</td></tr>
  </tbody></table>
  ${shift ? `<img src="${shift}" alt="the terminal's shift summary at the end" width="240">` : ''}
</div>
</main>
</body>
</html>
`
}

/** Writes `report.json` and `report.html` into `dir`, screenshots embedded as data URLs. */
export function writeReport(result: RoundResult, dir: string): { json: string; html: string } {
  mkdirSync(dir, { recursive: true })
  const json = join(dir, 'report.json')
  const html = join(dir, 'report.html')
  writeFileSync(json, `${JSON.stringify(result, null, 2)}\n`)
  const image = (name: string): string | null => {
    const file = join(dir, name)
    return existsSync(file) ? `data:image/png;base64,${readFileSync(file).toString('base64')}` : null
  }
  writeFileSync(html, renderReportHtml(result, image))
  return { json, html }
}
