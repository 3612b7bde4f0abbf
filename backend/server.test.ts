import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ApiErrorResponse } from '../shared/api/common'
import { HealthResponse } from '../shared/api/health'
import { openBackendDb, type BackendDb } from './db/connect'
import { migrateToLatest } from './db/migrate'
import { buildBackend, type Backend } from './server'

let database: BackendDb
let backend: Backend
let base: string

beforeAll(async () => {
  database = openBackendDb(join(mkdtempSync(join(tmpdir(), 'tuotou-backend-')), 'backend.sqlite'))
  await migrateToLatest(database)
  backend = await buildBackend({ database, version: '1.2.3' })
  base = await backend.listen(0)
})
afterAll(async () => {
  await backend.close()
  await database.close()
})

describe('backend service', () => {
  it('reports health with its database and version over real HTTP', async () => {
    const res = await fetch(`${base}/api/v1/health`)
    expect(res.status).toBe(200)
    expect(HealthResponse.parse(await res.json())).toEqual({ status: 'ok', version: '1.2.3', database: 'sqlite' })
  })

  it('answers an unknown route with a JSON error that does not repeat the URL', async () => {
    const res = await fetch(`${base}/api/v1/nothing-here?x=1`)
    expect(res.status).toBe(404)
    const body = ApiErrorResponse.parse(await res.json())
    expect(body.error.code).toBe('not_found')
    expect(body.error.message).toBe('no such route, or not with this method')
  })

  it('says plainly that payments need an acquirer when none is configured', async () => {
    const res = await fetch(`${base}/api/v1/acquirer/notifications`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{}',
    })
    expect(res.status).toBe(503)
    expect(ApiErrorResponse.parse(await res.json()).error.code).toBe('acquirer.not_configured')
  })
})
