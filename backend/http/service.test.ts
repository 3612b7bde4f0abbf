import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { answerProblems } from '../testing/answers'
import { startTestBackend, type TestBackend } from '../testing/backend'

/**
 * Every 4xx and 5xx, ours or the framework's, is `{ error: { code, message, details? } }` and echoes nothing
 * of the request: not its URL, its body, its headers, nor a stack.
 */
describe('one error shape for every refusal', () => {
  let server: TestBackend
  beforeAll(async () => {
    server = await startTestBackend({ seed: 'demo' })
  })
  afterAll(async () => server?.stop())

  const send = async (method: string, path: string, init: { body?: string; headers?: Record<string, string> } = {}) => {
    const answer = await fetch(`${server.url}${path}`, { method, body: init.body, headers: init.headers })
    return { status: answer.status, text: await answer.text() }
  }
  const json = { 'content-type': 'application/json' }

  it.each([
    ['bad %-encoding in a path', 'GET', '/api/v1/intents/%zzSECRETPATHVALUE', undefined, undefined, 400],
    ['bad %-encoding before any route', 'GET', '/api/v1/%E0%A4%ASECRETPATHVALUE', undefined, undefined, 400],
    ['a 4 KB path parameter', 'GET', `/api/v1/intents/pi_${'SECRETPATHVALUE'.repeat(273)}`, undefined, undefined, 414],
    [
      'an unknown route',
      'GET',
      '/api/v1/nothing-here/SECRETPATHVALUE?token=SECRETQUERYVALUE',
      undefined,
      undefined,
      404,
    ],
    ['a wrong method', 'PATCH', '/api/v1/health?SECRETQUERYVALUE=1', undefined, undefined, 404],
    ['bad JSON', 'POST', '/api/v1/devices/enroll', '{"code":"SECRETBODYVALUE', json, 400],
    ['a JSON body that is not an object', 'POST', '/api/v1/devices/enroll', '"SECRETBODYVALUE"', json, 400],
    [
      'an unknown field',
      'POST',
      '/api/v1/devices/enroll',
      JSON.stringify({ code: 'ABCDEFGH', SECRETBODYVALUE: 1 }),
      json,
      400,
    ],
    [
      'a wrong content type',
      'POST',
      '/api/v1/devices/enroll',
      'SECRETBODYVALUE',
      { 'content-type': 'text/x-SECRETHEADERVALUE' },
      415,
    ],
    [
      'an oversized body',
      'POST',
      '/api/v1/devices/enroll',
      JSON.stringify({ code: 'SECRETBODYVALUE'.repeat(80_000) }),
      json,
      413,
    ],
    [
      'a bad content length',
      'POST',
      '/api/v1/devices/enroll',
      '{}',
      { 'content-type': 'application/json; charset=SECRETHEADERVALUE' },
      null,
    ],
  ] as const)('answers %s in the one shape, echoing nothing', async (_, method, path, body, headers, status) => {
    const answer = await send(method, path, { body, headers })
    if (status !== null) expect(answer.status).toBe(status)
    expect(answer.status).toBeGreaterThanOrEqual(400)
    expect(
      answerProblems(answer.status, answer.text, [
        'SECRETPATHVALUE',
        'SECRETQUERYVALUE',
        'SECRETBODYVALUE',
        'SECRETHEADERVALUE',
      ]),
    ).toEqual([])
  })
})
