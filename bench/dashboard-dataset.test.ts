import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { sql } from 'kysely'
import { afterAll, describe, expect, it } from 'vitest'
import { SupervisorLoginResponse } from '../shared/api/depot'
import { CouriersDayResponse } from '../shared/api/dashboard'
import { openBackendDb } from '../backend/db/connect'
import { buildBackend } from '../backend/server'
import { BackendApi } from '../backend/testing/api'
import { databasesUnderTest } from '../backend/testing/databases'
import { dropSchema, freshSchemaUrl, postgresTarget } from '../backend/testing/postgres'
import { BENCH_PASSWORD, generateDataset, type DatasetSize } from './dashboard-dataset'

const SMALL: DatasetSize = { depots: 2, couriersPerDepot: 3, days: 2, ordersPerRoute: 40, firstDay: '2026-03-02' }

for (const { kind, skip } of await databasesUnderTest()) {
  describe.skipIf(skip !== null)(`dashboard dataset generator on ${kind}`, () => {
    const dir = mkdtempSync(join(tmpdir(), 'tuotou-dataset-'))
    const cleanups: (() => Promise<void>)[] = []
    afterAll(async () => {
      for (const cleanup of cleanups.reverse()) await cleanup()
      rmSync(dir, { recursive: true, force: true })
    })

    it("writes base tables and summaries that agree, and the dashboard reads them as ingest's own", async () => {
      let target = join(dir, 'dataset.sqlite')
      if (kind === 'postgres') {
        const server = await postgresTarget()
        const fresh = freshSchemaUrl(server.url!)
        target = fresh.url
        cleanups.push(() => dropSchema(server.url!, fresh.schema))
      }
      const dataset = await generateDataset(target, SMALL)
      expect(dataset.deliveries + [...dataset.expected.values()].reduce((n, e) => n + e.failed, 0)).toBe(2 * 3 * 2 * 40)

      const database = openBackendDb(target)
      cleanups.push(() => database.close())
      // The summaries equal what the base tables add up to, courier by courier and day by day.
      const fromBase = await sql<{
        depot_id: string
        route_date: string
        courier_id: string
        delivered: number
        failed: number
        cash_fen: number
        digital_fen: number
      }>`
        select o.depot_id, o.route_date, o.courier_id,
          sum(case when a.outcome = 'delivered' then 1 else 0 end) as delivered,
          sum(case when a.outcome = 'failed' then 1 else 0 end) as failed,
          sum(case when a.method = 'cash' then a.collected_fen else 0 end) as cash_fen,
          sum(case when a.method = 'digital' then coalesce((select p.amount_fen from payments p
            where p.order_id = o.id and p.outcome = 'succeeded'), 0) else 0 end) as digital_fen
        from delivery_attempts a join orders o on o.id = a.order_id
        group by o.depot_id, o.route_date, o.courier_id
        order by o.depot_id, o.route_date, o.courier_id`.execute(database.db)
      const summaries = await database.db
        .selectFrom('dashboard_courier_days')
        .select(['depot_id', 'route_date', 'courier_id', 'delivered', 'failed', 'cash_fen', 'digital_fen'])
        .orderBy('depot_id')
        .orderBy('route_date')
        .orderBy('courier_id')
        .execute()
      expect(summaries.map((row) => ({ ...row }))).toEqual(fromBase.rows.map((row) => ({ ...row })))
      expect(summaries).toHaveLength(2 * 3 * 2)

      const backend = await buildBackend({
        database,
        version: 'test',
        now: () => Date.parse('2026-03-03T12:00:00+08:00'),
      })
      const url = await backend.listen(0)
      cleanups.push(() => backend.close())
      const api = new BackendApi(url)
      const depotId = dataset.depotIds[1]!
      const session = await api.call('POST', '/api/v1/depot/sessions', SupervisorLoginResponse, {
        json: { login: dataset.supervisors.get(depotId)!, password: BENCH_PASSWORD },
      })
      const day = dataset.days[0]!
      const view = await api.call('GET', `/api/v1/depot/dashboard/couriers?date=${day}`, CouriersDayResponse, {
        token: session.supervisorToken,
      })
      const expected = dataset.expected.get(`${depotId}|${day}`)!
      expect(view.couriers).toHaveLength(3)
      expect(view.totals.orders).toMatchObject({
        total: 120,
        delivered: expected.delivered,
        failed: expected.failed,
        open: 0,
      })
      expect(view.totals.cod).toMatchObject({ cashFen: expected.cashFen, digitalFen: expected.digitalFen })
      expect(view.totals.stops.done).toBe(view.totals.stops.total)
      expect(view.totals.stopTime.samples).toBe(view.totals.stops.total)
      expect(view.totals.stopTime.medianMs).toBeGreaterThan(30_000)
    })
  })
}
