import fc from 'fast-check'
import { z } from 'zod'
import { hashToken, issueToken } from '../auth/tokens'
import { createEnrollmentCode } from '../devices/enrollment'
import type { RouteDoc } from '../http/routes'
import { answerProblems, stringsIn } from './answers'
import type { TestBackend } from './backend'
import { loggedInCourier } from './courier'
import { supervisorSession } from './dashboard'
import { snapshotTables } from './snapshot'

/**
 * A property-based fuzzer for every route of a backend's route table (`Backend.routes`): the requests are
 * generated from the zod schemas each route declares (as JSON Schema, the OpenAPI document's source), mutated
 * into arbitrary JSON, wrong types, huge and unicode-odd strings and boundary numbers, and sent with and without
 * valid credentials. Every answer is checked: no 5xx, the one error shape, no stack trace or echoed input, and
 * a refusal (4xx) changes no table. A new route is covered without a new test. Used by
 * `backend/http/routes.fuzz.test.ts` (fixed seed, a time budget) and `bench/fuzz.bench.ts` (longer).
 */

type JsonSchema = {
  type?: string | string[]
  const?: unknown
  enum?: unknown[]
  anyOf?: JsonSchema[]
  oneOf?: JsonSchema[]
  allOf?: JsonSchema[]
  properties?: Record<string, JsonSchema>
  required?: string[]
  items?: JsonSchema
  minItems?: number
  maxItems?: number
  minLength?: number
  maxLength?: number
  minimum?: number
  maximum?: number
  pattern?: string
  format?: string
}

/** What the fuzzer knows of the backend it fuzzes: real IDs and credentials to get past the front door. */
export interface FuzzWorld {
  /** Real IDs by kind prefix (`dev`, `shf`, `ord`, `pi`, `par`, `cou`, `stp`, `dep`, `sup`). */
  ids: Record<string, string[]>
  /** Values for fields known by name: enrollment codes, staff IDs and PINs, logins, QR payloads, days. */
  named: Record<string, string[]>
  credentials: Record<Credential, string | null>
  supervisor: { supervisorId: string; depotId: string }
  /** The highest event sequence the backend acknowledged for the device: fuzzed batches continue from it. */
  ackedSeq: number
}

const CREDENTIALS = [
  'none',
  'malformed',
  'unissued',
  'device',
  'otherDevice',
  'shift',
  'supervisor',
  'merchant',
  'basic',
] as const
type Credential = (typeof CREDENTIALS)[number]

/** Sets up what the fuzzer needs: two couriers of one depot logged in on their devices, a supervisor. */
export async function buildFuzzWorld(server: TestBackend): Promise<FuzzWorld> {
  const courier = await loggedInCourier(server, {
    orders: [{ codFen: 6660 }, { codFen: 0, parcels: 2 }, { codFen: 19900 }, { codFen: 3580 }],
  })
  const other = await loggedInCourier(server, { depotId: courier.fixture.depotId, orders: [{ codFen: 2500 }] })
  const supervisor = await supervisorSession(server, courier.fixture.depotId)
  const codes: string[] = []
  for (let i = 0; i < 3; i++) {
    const { code } = await createEnrollmentCode(server.db, {
      depotId: courier.fixture.depotId,
      createdBy: 'fuzz',
      ttlMs: 24 * 60 * 60_000,
      nowMs: Date.now(),
    })
    codes.push(code)
  }
  const orders = [courier, other].flatMap((who) => who.manifest.stops.flatMap((stop) => stop.orders))
  return {
    ids: {
      dev: [courier.device.deviceId, other.device.deviceId],
      shf: [courier.shift.shiftId, other.shift.shiftId],
      ord: orders.map((order) => order.orderId),
      pi: orders.flatMap((order) => (order.intent ? [order.intent.intentId] : [])),
      par: orders.flatMap((order) => order.parcels.map((parcel) => parcel.parcelId)),
      cou: [courier.fixture.courierId, other.fixture.courierId],
      stp: courier.manifest.stops.map((stop) => stop.stopId),
      dep: [courier.fixture.depotId],
      sup: [supervisor.supervisorId],
    },
    named: {
      code: codes,
      staffId: [courier.fixture.staffId],
      pin: [courier.fixture.pin],
      login: [supervisor.login],
      password: [supervisor.password],
      qrPayload: orders.flatMap((order) => (order.intent ? [order.intent.qrPayload] : [])),
      barcode: orders.flatMap((order) => order.parcels.map((parcel) => parcel.barcode)),
      date: [courier.fixture.routeDate],
      walletId: ['wallet-fuzz'],
    },
    credentials: {
      none: null,
      malformed: 'Bearer not-a-token',
      unissued: `Bearer tdv_${'A'.repeat(43)}`,
      device: `Bearer ${courier.device.deviceToken}`,
      otherDevice: `Bearer ${other.device.deviceToken}`,
      shift: `Bearer ${courier.shift.shiftToken}`,
      supervisor: `Bearer ${supervisor.token}`,
      merchant: server.sandbox ? `Bearer ${server.sandbox.identity.apiKey}` : null,
      basic: 'Basic dXNlcjpwYXNz',
    },
    supervisor: { supervisorId: supervisor.supervisorId, depotId: courier.fixture.depotId },
    ackedSeq: 0,
  }
}

/** Strings and numbers no schema of ours accepts where they land, and some that slip into every kind of code. */
const ODD = fc.oneof(
  fc.constantFrom<unknown>(
    null,
    true,
    0,
    -1,
    1,
    0.5,
    2 ** 31,
    2 ** 53 - 1,
    2 ** 53,
    -(2 ** 53),
    Number.MAX_VALUE,
    1e-7,
    '',
    ' ',
    '\u0000',
    '\ufeff=1+1',
    '\u202eevil',
    '\ud800',
    '𝕏'.repeat(40),
    '<script>alert(1)</script>',
    "' OR '1'='1' --",
    '../../../../etc/passwd',
    '%00%zz',
    '9'.repeat(400),
    'NaN',
    '1e400',
    '0000-01-01T00:00:00Z',
    '2026-02-30T25:61:00+08:00',
    [],
    {},
    [[[[[[]]]]]],
    { __proto__: { polluted: true } },
  ),
  fc.string({ unit: 'binary', maxLength: 40 }),
  fc.string({ unit: 'grapheme', maxLength: 40 }),
  fc.integer(),
  fc.double({ noNaN: true }),
  fc.jsonValue({ maxDepth: 3 }),
  fc.constant('x'.repeat(70_000)),
)

const RAW_BODIES = fc.constantFrom(
  '{',
  '{"a":',
  'nul',
  '"just a string"',
  '[]',
  '1e400',
  '{"a":1,"a":2}',
  '{"__proto__":{"polluted":true}}',
  `${'['.repeat(4000)}${']'.repeat(4000)}`,
  '\u0000',
  ' ',
)

const CONTENT_TYPES = fc.constantFrom<string | undefined>(
  'application/json',
  'application/json',
  'application/json',
  'application/json',
  'application/json',
  'application/json',
  'application/json',
  'application/json; charset=utf-8',
  'text/plain',
  'application/x-www-form-urlencoded',
  'multipart/form-data; boundary=x',
  undefined,
)

/** A value the schema accepts, leaning on the world's real IDs and named values to get deep into a route. */
function valid(schema: JsonSchema, world: FuzzWorld, name = ''): fc.Arbitrary<unknown> {
  if (schema.const !== undefined) return fc.constant(schema.const)
  if (schema.enum) return fc.constantFrom(...schema.enum)
  const branches = schema.anyOf ?? schema.oneOf
  if (branches) return fc.oneof(...branches.map((branch) => valid(branch, world, name)))
  if (schema.allOf) {
    return fc
      .tuple(...schema.allOf.map((part) => valid(part, world, name)))
      .map((parts): unknown =>
        Object.assign({}, ...parts.filter((part): part is object => typeof part === 'object' && part !== null)),
      )
  }
  const type = Array.isArray(schema.type) ? schema.type[0] : schema.type
  switch (type) {
    case 'string': {
      const prefix = schema.pattern ? /^\^([a-z]+)_/.exec(schema.pattern)?.[1] : undefined
      // Read when a value is drawn, not when the arbitrary is built: a new login changes the shift's ID.
      const pool = (): string[] => [...(world.named[name] ?? []), ...(prefix ? (world.ids[prefix] ?? []) : [])]
      let shaped: fc.Arbitrary<string>
      if (schema.format === 'date-time') {
        shaped = fc
          .integer({ min: Date.now() - 3_600_000, max: Date.now() + 3_600_000 })
          .map((ms) => new Date(ms).toISOString())
      } else if (schema.format === 'uuid') shaped = fc.uuid()
      else if (schema.pattern) shaped = fc.stringMatching(new RegExp(schema.pattern))
      else shaped = fc.string({ minLength: schema.minLength ?? 0, maxLength: Math.min(schema.maxLength ?? 24, 64) })
      if (pool().length === 0) return shaped
      return fc.oneof({ weight: 3, arbitrary: fc.nat().map((i) => pool()[i % pool().length]!) }, shaped)
    }
    case 'integer': {
      const min = Math.max(schema.minimum ?? -(2 ** 53 - 1), -(2 ** 53 - 1))
      const max = Math.min(schema.maximum ?? 2 ** 53 - 1, 2 ** 53 - 1)
      // An event's sequence: the next ones the backend expects from the device, most of the time.
      if (name === 'seq') {
        return fc.oneof(
          { weight: 4, arbitrary: fc.integer({ min: 1, max: 3 }).map((ahead) => world.ackedSeq + ahead) },
          fc.integer({ min, max }),
        )
      }
      return fc.oneof(
        fc.constantFrom(min, max, Math.max(min, Math.min(max, 1)), Math.max(min, Math.min(max, 6660))),
        fc.integer({ min: Math.max(min, -1_000_000), max: Math.min(max, 1_000_000) }),
      )
    }
    case 'number':
      return fc.double({ min: schema.minimum, max: schema.maximum, noNaN: true, noDefaultInfinity: true })
    case 'boolean':
      return fc.boolean()
    case 'null':
      return fc.constant(null)
    case 'array':
      return fc.array(valid(schema.items ?? {}, world, name), {
        minLength: schema.minItems ?? 0,
        maxLength: Math.max(schema.minItems ?? 0, Math.min(schema.maxItems ?? 3, 3)),
      })
    case 'object': {
      const properties = Object.fromEntries(
        Object.entries(schema.properties ?? {}).map(([key, property]) => [key, valid(property, world, key)]),
      )
      return fc.record(properties, { requiredKeys: (schema.required ?? []).filter((key) => key in properties) })
    }
    default:
      return fc.jsonValue({ maxDepth: 2 })
  }
}

type Path = (string | number)[]

function pathsIn(value: unknown, path: Path = [], out: Path[] = []): Path[] {
  out.push(path)
  if (Array.isArray(value)) value.forEach((item, i) => pathsIn(item, [...path, i], out))
  else if (value !== null && typeof value === 'object') {
    for (const [key, item] of Object.entries(value)) pathsIn(item, [...path, key], out)
  }
  return out
}

function edited(
  value: unknown,
  path: Path,
  edit: (parent: Record<string | number, unknown>, key: string | number) => void,
) {
  if (path.length === 0) return value
  const copy = structuredClone(value) as Record<string | number, unknown>
  let parent = copy
  for (const step of path.slice(0, -1)) parent = parent[step] as Record<string | number, unknown>
  edit(parent, path.at(-1)!)
  return copy
}

/** One change to a valid value: a part replaced by an odd value, removed, or joined by a field nobody declared. */
function mutated(value: unknown): fc.Arbitrary<unknown> {
  const paths = pathsIn(value)
  return fc.constantFrom(...paths).chain((path) =>
    fc.oneof(
      ODD.map((odd) => (path.length === 0 ? odd : edited(value, path, (parent, key) => (parent[key] = odd)))),
      fc.constant(
        edited(value, path, (parent, key) => {
          if (Array.isArray(parent)) parent.splice(Number(key), 1)
          else delete parent[key]
        }),
      ),
      fc
        .tuple(fc.string({ minLength: 1, maxLength: 24 }), ODD)
        .map(([key, odd]) =>
          value !== null && typeof value === 'object' && !Array.isArray(value) ? { ...value, [key]: odd } : value,
        ),
    ),
  )
}

const asJsonSchema = (schema: z.ZodType | undefined): JsonSchema | null =>
  schema ? (z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' }) as JsonSchema) : null

/** The words a route's own schemas use (field names, enum values, literals): an answer may name them back. */
function vocabulary(schema: JsonSchema | null, out = new Set<string>()): Set<string> {
  if (!schema || typeof schema !== 'object') return out
  for (const value of [schema.const, ...(schema.enum ?? [])]) if (typeof value === 'string') out.add(value)
  for (const key of Object.keys(schema.properties ?? {})) out.add(key)
  for (const child of [
    ...(schema.anyOf ?? []),
    ...(schema.oneOf ?? []),
    ...(schema.allOf ?? []),
    ...Object.values(schema.properties ?? {}),
    ...(schema.items ? [schema.items] : []),
  ]) {
    vocabulary(child, out)
  }
  return out
}

/** A lone surrogate (which `encodeURIComponent` refuses) becomes U+FFFD, as a browser would send it. */
const wellFormed = (text: string): string =>
  text.replace(/[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g, '\ufffd')

/** One generated request, and everything it sends that an answer must not echo. */
export interface FuzzRequest {
  route: string
  method: string
  path: string
  credential: Credential
  headers: Record<string, string>
  body: string | undefined
  sent: string[]
}

const ODD_SEGMENTS = fc.constantFrom('%zz', '%E0%A4%A', '..', '%2e%2e%2f', '%00', '', 'a'.repeat(4100), '%F0%9D%95%8F')

/** Requests for one route: its path, query and body from its schemas, valid, mutated or arbitrary. */
export function requestsFor(route: RouteDoc, world: FuzzWorld): fc.Arbitrary<FuzzRequest> {
  const params = asJsonSchema(route.params)
  const query = asJsonSchema(route.query)
  const body = asJsonSchema(route.body)
  const names = [...route.url.matchAll(/:([A-Za-z]+)/g)].map((match) => match[1]!)
  const segment = (name: string): fc.Arbitrary<{ raw: string; text: string }> =>
    fc
      .oneof(
        { weight: 6, arbitrary: valid(params?.properties?.[name] ?? { type: 'string' }, world, name) },
        { weight: 2, arbitrary: ODD.filter((odd) => typeof odd === 'string' || typeof odd === 'number') },
      )
      .map((value) => String(value))
      .map((text) => ({ raw: encodeURIComponent(wellFormed(text)), text }))
      .chain((ok) =>
        fc.oneof(
          { weight: 9, arbitrary: fc.constant(ok) },
          ODD_SEGMENTS.map((raw) => ({ raw, text: raw })),
        ),
      )
  const path = fc.tuple(...names.map(segment)).map((segments) => {
    let i = 0
    return { path: route.url.replace(/:[A-Za-z]+/g, () => segments[i++]!.raw), texts: segments.map((s) => s.text) }
  })
  const queryValue = query
    ? fc.oneof(
        { weight: 4, arbitrary: valid(query, world) },
        valid(query, world).chain(mutated),
        fc.dictionary(fc.string({ maxLength: 12 }), fc.string({ maxLength: 30 }), { maxKeys: 3 }),
      )
    : fc.oneof(
        { weight: 6, arbitrary: fc.constant({}) },
        fc.dictionary(fc.string({ maxLength: 12 }), fc.string({ maxLength: 30 }), { maxKeys: 2 }),
      )
  const hasBody = route.method !== 'GET'
  const bodyValue: fc.Arbitrary<{ text: string | undefined; json: unknown }> = !hasBody
    ? fc.constant({ text: undefined, json: undefined })
    : fc.oneof(
        ...(body
          ? [
              { weight: 3, arbitrary: valid(body, world).map((json) => ({ text: JSON.stringify(json), json })) },
              {
                weight: 5,
                arbitrary: valid(body, world)
                  .chain(mutated)
                  .map((json) => ({ text: JSON.stringify(json), json })),
              },
            ]
          : [{ weight: 3, arbitrary: fc.constant({ text: undefined, json: undefined }) }]),
        { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 3 }).map((json) => ({ text: JSON.stringify(json), json })) },
        { weight: 1, arbitrary: RAW_BODIES.map((text) => ({ text, json: text })) },
      )
  const own: Credential =
    route.auth === 'device' || route.auth === 'shift' || route.auth === 'supervisor'
      ? route.auth
      : route.auth === 'acquirer_merchant'
        ? 'merchant'
        : 'none'
  const credential = fc.oneof({ weight: 6, arbitrary: fc.constant(own) }, fc.constantFrom(...CREDENTIALS))
  const words = new Set([...vocabulary(params), ...vocabulary(query), ...vocabulary(body)])
  return fc
    .record({
      path,
      query: queryValue,
      body: bodyValue,
      credential,
      contentType: CONTENT_TYPES,
      lastEventId: fc.option(fc.string({ maxLength: 20 }), { freq: 4 }),
    })
    .map(({ path, query, body, credential, contentType, lastEventId }) => {
      const search = new URLSearchParams()
      if (query && typeof query === 'object' && !Array.isArray(query)) {
        for (const [key, value] of Object.entries(query)) {
          search.append(key, typeof value === 'string' ? value : (JSON.stringify(value) ?? ''))
        }
      }
      const headers: Record<string, string> = {}
      const authorization = world.credentials[credential]
      if (authorization) headers.authorization = authorization
      if (body.text !== undefined && contentType) headers['content-type'] = contentType
      if (lastEventId !== null && route.contentType) headers['last-event-id'] = lastEventId.replace(/[^\x20-\x7e]/g, '')
      const queryText = search.toString()
      const sent = [
        ...path.texts,
        ...[...search.entries()].flat(),
        ...(typeof body.json === 'string' ? [body.json] : stringsIn(body.json)),
        ...Object.values(headers),
      ].filter((text) => !words.has(text))
      const request: FuzzRequest = {
        route: `${route.method} ${route.url}`,
        method: route.method,
        path: `${path.path}${queryText ? `?${queryText}` : ''}`,
        credential,
        headers,
        body: body.text,
        sent,
      }
      // fast-check prints a counterexample with this: what was sent, cut short where it is huge.
      return Object.assign(request, { [fc.toStringMethod]: () => describeRequest(request) })
    })
}

const cut = (text: string, length = 300): string =>
  text.length > length ? `${text.slice(0, length)}… (${text.length} characters)` : text

/** A request as a failure report shows it. */
export function describeRequest(request: FuzzRequest): string {
  const { authorization, ...headers } = request.headers
  return JSON.stringify({
    route: request.route,
    method: request.method,
    path: cut(request.path),
    credential: request.credential,
    authorization: authorization ? cut(authorization, 20) : undefined,
    headers,
    body: request.body === undefined ? undefined : cut(request.body),
  })
}

export interface FuzzAnswer {
  status: number
  text: string
}

/** Sends one request; a server-sent stream is closed as soon as it has answered. */
export async function sendFuzzRequest(baseUrl: string, request: FuzzRequest, timeoutMs = 10_000): Promise<FuzzAnswer> {
  const controller = new AbortController()
  const timer = setTimeout(() => controller.abort(), timeoutMs)
  try {
    const answer = await fetch(`${baseUrl}${request.path}`, {
      method: request.method,
      headers: request.headers,
      body: request.body,
      signal: controller.signal,
    })
    if ((answer.headers.get('content-type') ?? '').startsWith('text/event-stream')) {
      controller.abort()
      return { status: answer.status, text: '' }
    }
    return { status: answer.status, text: await answer.text() }
  } catch (error) {
    if (controller.signal.aborted) throw new Error(`no answer in ${timeoutMs} ms`, { cause: error })
    throw error
  } finally {
    clearTimeout(timer)
  }
}

export interface FuzzOptions {
  seed: number
  /** The whole run's time budget; shared out evenly between the routes, so every route is fuzzed. */
  budgetMs: number
  /** At most this many requests per route. */
  maxRunsPerRoute: number
  /** Shrink a failing request to a smaller one (slow: every step is a real request). */
  shrink?: boolean
  /** Told every request and its answer, e.g. to count them. */
  onAnswer?(request: FuzzRequest, answer: FuzzAnswer): void
}

/** Tables a refusal may still change by design: a wrong login attempt is counted there. */
const COUNTED_ON_REFUSAL = new Set(['login_attempts'])

/**
 * Fuzzes every route of the server's route table, each with its own fast-check run (seed `seed + i`) and its
 * share of the time budget. Throws fast-check's report (the seed, the path and the request that failed, and
 * what was wrong) at the first failure.
 */
export async function fuzzRoutes(server: TestBackend, world: FuzzWorld, options: FuzzOptions): Promise<void> {
  const routes = server.backend.routes
  // A route with a body has more to explore: it gets two shares of the budget.
  const shares = routes.reduce((sum, route) => sum + (route.body ? 2 : 1), 0)
  const shareMs = Math.max(100, Math.floor(options.budgetMs / shares))
  let before: Record<string, string[]> | null = null
  const snapshot = async () => {
    await server.settled()
    const tables = await snapshotTables(server.db)
    for (const table of COUNTED_ON_REFUSAL) delete tables[table]
    return tables
  }
  for (const [i, route] of routes.entries()) {
    // Past the route's share of the budget no request is started, and fast-check stops soon after; a request
    // it left running is awaited, so it never overlaps the next route's first one.
    const shareOfRoute = shareMs * (route.body ? 2 : 1)
    const deadline = Date.now() + shareOfRoute
    let inFlight: Promise<void> = Promise.resolve()
    let sent = 0
    await fc.assert(
      fc.asyncProperty(requestsFor(route, world), (request) => {
        // Every route gets at least one request, however slow the one before it was (a loaded machine).
        if (Date.now() > deadline && sent > 0) return Promise.resolve()
        sent++
        inFlight = check(request)
        return inFlight
      }),
      {
        seed: options.seed + i,
        numRuns: options.maxRunsPerRoute,
        // Only a safety net: the deadline above stops new requests; a loaded machine's first one may be slow.
        interruptAfterTimeLimit: shareOfRoute + 10_000,
        markInterruptAsFailure: false,
        endOnFailure: !options.shrink,
      },
    )
    // fast-check passed the route, so a failure here is of the request its interruption left running.
    const late = await inFlight.then(
      () => null,
      (error: unknown) => error,
    )
    if (late)
      throw new Error(`seed ${options.seed + i}, the last request of ${route.method} ${route.url}`, { cause: late })
  }

  async function check(request: FuzzRequest): Promise<void> {
    before ??= await snapshot()
    const answer = await sendFuzzRequest(server.url, request)
    options.onAnswer?.(request, answer)
    const problems = answerProblems(answer.status, answer.text, request.sent)
    if (answer.status >= 400 && answer.status < 500) {
      const after = await snapshot()
      const changed = Object.keys(after).filter(
        (table) => JSON.stringify(after[table]) !== JSON.stringify(before![table]),
      )
      if (changed.length > 0) problems.push(`a ${answer.status} changed ${changed.join(', ')}`)
      before = after
    } else {
      before = null
      await afterSuccess(server, world, request, answer)
    }
    if (problems.length > 0) {
      throw new Error(`${request.route} answered ${answer.status}: ${problems.join('; ')}\n${cut(answer.text, 500)}`)
    }
  }
}

/** Keeps the world usable after a request that worked: a new shift token, a supervisor logged out, a held acquirer. */
async function afterSuccess(server: TestBackend, world: FuzzWorld, request: FuzzRequest, answer: FuzzAnswer) {
  if (answer.status < 200 || answer.status >= 300) return
  if (request.route === 'POST /api/v1/shifts') {
    const shift = JSON.parse(answer.text) as { shiftId: string; shiftToken: string }
    world.credentials.shift = `Bearer ${shift.shiftToken}`
    world.ids.shf = [shift.shiftId, ...world.ids.shf!]
  }
  if (request.route === 'DELETE /api/v1/depot/sessions/current' && request.credential === 'supervisor') {
    const token = issueToken('supervisor')
    await server.db
      .insertInto('supervisor_sessions')
      .values({
        token_hash: hashToken(token),
        supervisor_id: world.supervisor.supervisorId,
        depot_id: world.supervisor.depotId,
        created_at: new Date().toISOString(),
        expires_ms: Date.now() + 24 * 60 * 60_000,
      })
      .execute()
    world.credentials.supervisor = `Bearer ${token}`
  }
  if (request.route === 'PUT /sandbox/acquirer/behaviour') await server.api.setBehaviour({})
  if (request.route === 'POST /api/v1/devices/:deviceId/events' && request.credential === 'device') {
    world.ackedSeq = Math.max(world.ackedSeq, (JSON.parse(answer.text) as { ackedThrough: number }).ackedThrough)
  }
}
