import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startTestBackend, type TestBackend } from '../testing/backend'

describe('OpenAPI document', () => {
  let server: TestBackend

  beforeAll(async () => {
    server = await startTestBackend()
  })
  afterAll(async () => server?.stop())

  it('lists every route with schemas generated from the shared zod contract', async () => {
    const answer = await server.api.raw('GET', '/api/v1/openapi.json')
    expect(answer.status).toBe(200)
    const document = answer.json as {
      openapi: string
      paths: Record<
        string,
        Record<
          string,
          {
            security?: unknown[]
            requestBody?: { content: Record<string, { schema: Record<string, unknown> }> }
            responses: Record<string, unknown>
          }
        >
      >
    }
    expect(document.openapi).toBe('3.1.0')
    for (const [path, method] of [
      ['/api/v1/health', 'get'],
      ['/api/v1/devices/enroll', 'post'],
      ['/api/v1/devices/{deviceId}/heartbeat', 'post'],
      ['/api/v1/devices/{deviceId}/events', 'post'],
      ['/api/v1/devices/{deviceId}/stream', 'get'],
      ['/api/v1/shifts', 'post'],
      ['/api/v1/shifts/{shiftId}/manifest', 'get'],
      ['/api/v1/intents/{intentId}', 'get'],
      ['/api/v1/intents/{intentId}/renew', 'post'],
      ['/api/v1/intents/{intentId}/cancel', 'post'],
      ['/api/v1/acquirer/notifications', 'post'],
      ['/api/v1/depot/sessions', 'post'],
      ['/api/v1/depot/enrollment-codes', 'post'],
      ['/sandbox/acquirer/pay', 'post'],
      ['/sandbox/acquirer/behaviour', 'put'],
    ] as const) {
      expect(document.paths[path]?.[method], `${method} ${path}`).toBeDefined()
    }
    const push = document.paths['/api/v1/devices/{deviceId}/events']!.post!
    expect(push.security).toEqual([{ deviceToken: [] }])
    const body = push.requestBody!.content['application/json']!.schema as {
      properties: { events: { maxItems: number } }
    }
    expect(body.properties.events.maxItems).toBe(500)
    expect(Object.keys(push.responses)).toEqual(expect.arrayContaining(['200', '400', '401', '403', '409', '413']))
    const stream = document.paths['/api/v1/devices/{deviceId}/stream']!.get!
    expect(Object.keys((stream.responses['200'] as { content: object }).content)).toEqual(['text/event-stream'])
  })
})
