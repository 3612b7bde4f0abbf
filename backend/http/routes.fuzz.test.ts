import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startTestBackend, type TestBackend } from '../testing/backend'
import { databasesUnderTest } from '../testing/databases'
import { buildFuzzWorld, fuzzRoutes, type FuzzWorld } from '../testing/fuzz'

/** The fixed seed (`TUOTOU_FUZZ_SEED` overrides it); a failure prints it with the request that failed. */
const SEED = Number(process.env.TUOTOU_FUZZ_SEED ?? 1796)
/** About 25 s of requests on each database; `npm run bench -- fuzz` runs far longer. */
const BUDGET_MS = Number(process.env.TUOTOU_FUZZ_BUDGET_MS ?? 25_000)

/**
 * Every route of the backend's route table, fuzzed from its own schemas with and without valid credentials:
 * no 5xx, the one error shape, nothing echoed or leaked, and no refusal changes a table (`testing/fuzz.ts`).
 */
for (const { kind, skip } of await databasesUnderTest()) {
  describe.skipIf(skip !== null)(`route fuzzing on ${kind}`, () => {
    let server: TestBackend
    let world: FuzzWorld
    beforeAll(async () => {
      server = await startTestBackend({
        database: kind,
        config: { settlement: { pollMs: 50, retryBaseMs: 50, retryMaxMs: 200 } },
      })
      world = await buildFuzzWorld(server)
    })
    afterAll(async () => server?.stop())

    it(
      'answers every generated request to every route without a 5xx, a leak, an echo or a change on refusal',
      async () => {
        const statuses = new Map<string, Map<number, number>>()
        await fuzzRoutes(server, world, {
          seed: SEED,
          budgetMs: BUDGET_MS,
          maxRunsPerRoute: 200,
          onAnswer(request, answer) {
            const byStatus = statuses.get(request.route) ?? new Map<number, number>()
            byStatus.set(answer.status, (byStatus.get(answer.status) ?? 0) + 1)
            statuses.set(request.route, byStatus)
          },
        })
        // Every route was reached, and some got past authentication and validation into their handlers.
        expect(statuses.size).toBe(server.backend.routes.length)
        const total = [...statuses.values()].flatMap((byStatus) => [...byStatus.values()]).reduce((a, b) => a + b, 0)
        const succeeded = [...statuses.values()].filter((byStatus) => [...byStatus.keys()].some((s) => s < 300)).length
        console.log(
          `fuzz on ${kind}: seed ${SEED}, ${total} requests, ${succeeded}/${statuses.size} routes answered 2xx`,
        )
        if (process.env.TUOTOU_FUZZ_REPORT) {
          for (const [route, byStatus] of statuses) {
            console.log(`  ${route}: ${[...byStatus].map(([status, count]) => `${status}×${count}`).join(' ')}`)
          }
        }
        expect(succeeded).toBeGreaterThan(statuses.size / 3)
      },
      BUDGET_MS + 60_000,
    )
  })
}
