/**
 * The route fuzzer of `backend/http/routes.fuzz.test.ts`, run far longer: every route of the backend's route
 * table, fuzzed from its schemas with and without valid credentials, on SQLite and (with `TUOTOU_TEST_PG_URL`)
 * PostgreSQL. DESIGN section 7: no 5xx and no state change from any generated bad input. Figures: requests
 * sent, requests per second, routes that answered 2xx, and failures (the first one is printed with its seed
 * and request). `TUOTOU_FUZZ_BUDGET_MS` (default 120 s a database) and `TUOTOU_FUZZ_SEED` change the run.
 */
import { startTestBackend } from '../backend/testing/backend'
import { databasesUnderTest } from '../backend/testing/databases'
import { buildFuzzWorld, fuzzRoutes } from '../backend/testing/fuzz'
import type { Bench } from './figures'

const BUDGET_MS = Number(process.env.TUOTOU_FUZZ_BUDGET_MS ?? 120_000)
const SEED = Number(process.env.TUOTOU_FUZZ_SEED ?? Date.now() % 1_000_000)

const bench: Bench = async (context) => {
  const log = (message: string): void => context.log(message)
  const figure: typeof context.figure = (value) => context.figure(value)
  for (const { kind, skip } of await databasesUnderTest()) {
    if (skip !== null) {
      log(`${kind} skipped: ${skip}`)
      continue
    }
    const server = await startTestBackend({
      database: kind,
      config: { settlement: { pollMs: 50, retryBaseMs: 50, retryMaxMs: 200 } },
    })
    try {
      const world = await buildFuzzWorld(server)
      let requests = 0
      const succeeded = new Set<string>()
      const started = performance.now()
      let failure: string | null = null
      log(`${kind}: seed ${SEED}, ${Math.round(BUDGET_MS / 1000)} s over ${server.backend.routes.length} routes`)
      try {
        await fuzzRoutes(server, world, {
          seed: SEED,
          budgetMs: BUDGET_MS,
          maxRunsPerRoute: 1_000_000,
          onAnswer(request, answer) {
            requests++
            if (answer.status < 300) succeeded.add(request.route)
          },
        })
      } catch (error) {
        failure = error instanceof Error ? error.message : String(error)
        log(`${kind}: failed: ${failure.slice(0, 2000)}`)
      }
      const seconds = (performance.now() - started) / 1000
      figure({ name: `${kind}: requests`, value: requests, unit: 'requests', note: `seed ${SEED}` })
      figure({ name: `${kind}: rate`, value: requests / seconds, unit: 'requests/s' })
      figure({
        name: `${kind}: routes reaching their handler's success`,
        value: succeeded.size,
        unit: 'routes',
        note: `of ${server.backend.routes.length}`,
      })
      figure({ name: `${kind}: failures`, value: failure ? 1 : 0, unit: 'failures', target: { op: '<', value: 1 } })
    } finally {
      await server.stop()
    }
  }
}

export default bench
