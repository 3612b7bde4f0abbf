import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { answerProblems } from '../testing/answers'
import { startTestBackend, type TestBackend } from '../testing/backend'

/**
 * Authentication comes before anything else a route checks: a caller without a valid credential learns
 * nothing about the route's parameters, query or body, whatever it sends. The list of routes is the backend's
 * own route table, so a new route is covered here without a new test.
 */
describe('every route authenticates first', () => {
  let server: TestBackend
  beforeAll(async () => {
    server = await startTestBackend({ seed: 'demo' })
  })
  afterAll(async () => server?.stop())

  const guarded = () => server.backend.routes.filter((route) => route.auth !== 'none')

  it('has guarded routes of every kind to check', () => {
    expect(new Set(guarded().map((route) => route.auth))).toEqual(
      new Set(['device', 'shift', 'supervisor', 'acquirer_signature', 'acquirer_merchant']),
    )
  })

  const attempts = [
    ['no credential', {}],
    ['a malformed credential', { authorization: 'Bearer not-a-token' }],
    ['a well-formed credential nobody issued', { authorization: `Bearer tdv_${'A'.repeat(43)}` }],
  ] as const

  for (const [label, headers] of attempts) {
    it(`refuses ${label} 401 before looking at a bad path, query or body`, async () => {
      for (const route of guarded()) {
        const path = route.url.replace(/:[A-Za-z]+/g, 'BOGUS_PARAMETER_VALUE')
        for (const body of [JSON.stringify({ BOGUS_BODY_FIELD: ['x'] }), '{"unterminated', undefined]) {
          const withBody = route.method !== 'GET' && body !== undefined
          const answer = await fetch(`${server.url}${path}?BOGUS_QUERY_FIELD=1`, {
            method: route.method,
            headers: { ...headers, ...(withBody ? { 'content-type': 'application/json' } : {}) },
            body: withBody ? body : undefined,
          })
          const text = await answer.text()
          expect(answer.status, `${label}: ${route.method} ${route.url} with ${body}: ${text}`).toBe(401)
          expect(
            answerProblems(answer.status, text, ['BOGUS_PARAMETER_VALUE', 'BOGUS_QUERY_FIELD', 'BOGUS_BODY_FIELD']),
          ).toEqual([])
        }
      }
    })
  }
})
