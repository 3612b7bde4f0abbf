/**
 * The depot dashboard at scale: a million deliveries across 50 depots and 2,000 couriers (4 days of 135 orders
 * a courier, 7% of them failed), generated straight into a migrated database (`dashboard-dataset.ts`), then each dashboard
 * endpoint asked over HTTP, as a supervisor, of a real backend process on that database: p50 and p95 per
 * endpoint (bar: p95 under 200 ms), on SQLite and, when `TUOTOU_TEST_PG_URL` is set, on PostgreSQL.
 *
 * `TUOTOU_BENCH_DASHBOARD_SCALE=0.1` runs a tenth of the deliveries (fewer depots), for a quick look.
 */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { SupervisorLoginResponse } from '../shared/api/depot'
import { API_PREFIX } from '../shared/api/common'
import { DASHBOARD_PATHS } from '../shared/api/dashboard'
import { DAY_CLOSE_PATHS } from '../shared/api/day-close'
import { BackendApi } from '../backend/testing/api'
import { spawnBackend } from '../backend/testing/backend'
import { dropSchema, freshSchemaUrl, postgresTarget } from '../backend/testing/postgres'
import { BENCH_PASSWORD, generateDataset, MILLION, type DatasetSize } from './dashboard-dataset'
import { percentile, type Bench, type BenchContext } from './figures'

const REQUESTS_PER_ENDPOINT = 120
const WARM_UP = 10

function sizeFor(scale: number): DatasetSize {
  if (scale >= 1) return MILLION
  return { ...MILLION, depots: Math.max(1, Math.round(MILLION.depots * scale)) }
}

async function measure(context: BenchContext, kind: 'SQLite' | 'PostgreSQL', target: string, size: DatasetSize) {
  const started = performance.now()
  const dataset = await generateDataset(target, size)
  const seconds = (performance.now() - started) / 1000
  context.log(
    `${kind}: ${dataset.deliveries.toLocaleString('en-US')} deliveries (${(dataset.attempts - dataset.deliveries).toLocaleString('en-US')} more attempts failed) across ${size.depots} depots and ` +
      `${size.depots * size.couriersPerDepot} couriers, ${dataset.rows.toLocaleString('en-US')} rows in ${seconds.toFixed(1)} s`,
  )
  context.figure({
    name: `dataset generation, ${kind}`,
    value: Math.round(dataset.rows / seconds),
    unit: 'rows/s',
    note: `${dataset.rows.toLocaleString('en-US')} rows, ${seconds.toFixed(0)} s`,
  })

  const backend = await spawnBackend({ db: target, sandbox: false, env: { LOG_LEVEL: 'error' }, timeoutMs: 300_000 })
  try {
    const api = new BackendApi(backend.url)
    // A handful of depots' supervisors, spread over the network; each request picks one and a day.
    const sample = dataset.depotIds.filter((_, i) => i % Math.max(1, Math.floor(dataset.depotIds.length / 6)) === 0)
    const sessions: { depotId: string; token: string }[] = []
    for (const depotId of sample) {
      const session = await api.call('POST', `${API_PREFIX}/depot/sessions`, SupervisorLoginResponse, {
        json: { login: dataset.supervisors.get(depotId)!, password: BENCH_PASSWORD },
      })
      sessions.push({ depotId, token: session.supervisorToken })
    }
    const endpoints = [
      { name: 'couriers', url: (day: string) => `${DASHBOARD_PATHS.couriers}?date=${day}` },
      { name: 'devices', url: (day: string) => `${DASHBOARD_PATHS.devices}?date=${day}` },
      { name: 'attention', url: (day: string) => `${DASHBOARD_PATHS.attention}?date=${day}` },
      { name: 'cash', url: (day: string) => `${DASHBOARD_PATHS.cash}?date=${day}` },
      { name: 'day report', url: (day: string) => DAY_CLOSE_PATHS.report.replace(':date', day) },
    ]
    for (const endpoint of endpoints) {
      const samples: number[] = []
      let bytes = 0
      let rows = 0
      for (let i = 0; i < WARM_UP + REQUESTS_PER_ENDPOINT; i++) {
        const session = sessions[i % sessions.length]!
        const day = dataset.days[i % dataset.days.length]!
        const sent = performance.now()
        const response = await fetch(`${backend.url}${API_PREFIX}${endpoint.url(day)}`, {
          headers: { authorization: `Bearer ${session.token}` },
        })
        const text = await response.text()
        const elapsed = performance.now() - sent
        if (!response.ok) throw new Error(`${endpoint.name} answered ${response.status}: ${text.slice(0, 300)}`)
        if (i < WARM_UP) continue
        samples.push(elapsed)
        bytes += text.length
        const body = JSON.parse(text) as { couriers?: unknown[]; devices?: unknown[]; flags?: unknown[] }
        rows += (body.couriers ?? body.devices ?? body.flags ?? []).length
      }
      context.figure({
        name: `${endpoint.name}, ${kind}, p50`,
        value: Math.round(percentile(samples, 50) * 10) / 10,
        unit: 'ms',
      })
      context.figure({
        name: `${endpoint.name}, ${kind}, p95`,
        value: Math.round(percentile(samples, 95) * 10) / 10,
        unit: 'ms',
        target: { op: '<', value: 200 },
        note: `${REQUESTS_PER_ENDPOINT} requests, ~${Math.round(bytes / samples.length / 1024)} KiB and ${Math.round(rows / samples.length)} rows an answer`,
      })
    }
  } finally {
    await backend.stop()
  }
}

const bench: Bench = async (context) => {
  const scale = Number(process.env.TUOTOU_BENCH_DASHBOARD_SCALE ?? '1')
  const size = sizeFor(Number.isFinite(scale) && scale > 0 ? scale : 1)
  const base = join(tmpdir(), 'tuotou-bench')
  mkdirSync(base, { recursive: true })
  const dir = mkdtempSync(join(base, 'dashboard-'))
  try {
    await measure(context, 'SQLite', join(dir, 'dashboard.sqlite'), size)
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
  const postgres = await postgresTarget()
  if (!postgres.url) {
    context.log(`PostgreSQL skipped: ${postgres.reason}`)
    return
  }
  const fresh = freshSchemaUrl(postgres.url)
  try {
    await measure(context, 'PostgreSQL', fresh.url, size)
  } finally {
    await dropSchema(postgres.url, fresh.schema)
  }
}

export default bench
