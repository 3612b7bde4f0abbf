import { Readable } from 'node:stream'
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import type { z } from 'zod'
import type { DeviceTable, ShiftTable } from '../db/schema'
import type { SupervisorSession } from '../depot/auth'
import { ApiError, badRequest } from './errors'

/** Who may call a route, for the OpenAPI document's security and for readers. */
export type RouteAuth = 'none' | 'device' | 'shift' | 'supervisor' | 'acquirer_signature' | 'acquirer_merchant'

/** A notification whose signature over the raw body checked out. */
export interface SignedRequest {
  signature: string
  timestampSeconds: number
}

/** What a route's handler is told about its authenticated caller, by the route's `auth`. */
export interface RouteCallers {
  none: null
  device: DeviceTable
  shift: ShiftTable
  supervisor: SupervisorSession
  acquirer_signature: SignedRequest
  acquirer_merchant: null
}

/**
 * Checks a request's credential and answers who the caller is, or throws a 401/403/503 `ApiError`. A token
 * is checked from the headers alone, before the body is read; a signature over the raw body (`body`), once it
 * has arrived but before anything looks inside it.
 */
export interface Authenticator<C> {
  reads: 'headers' | 'body'
  authenticate(request: FastifyRequest): Promise<C> | C
}

export type Authenticators = { [A in Exclude<RouteAuth, 'none'>]?: Authenticator<RouteCallers[A]> }

/** An error a route may answer with, documented in the OpenAPI document. */
export interface RouteError {
  status: number
  code: string
}

export interface RouteInput<P, Q, B, C> {
  params: P
  query: Q
  body: B
  /** The authenticated caller: the device, shift or supervisor session the credential opened. */
  caller: C
  request: FastifyRequest
  reply: FastifyReply
}

interface RouteBase<P extends z.ZodType, Q extends z.ZodType, A extends RouteAuth> {
  /** Fastify path, `:name` for parameters. */
  url: string
  summary: string
  tag: string
  auth: A
  params?: P
  query?: Q
  errors?: readonly RouteError[]
}

export interface RouteSpec<
  P extends z.ZodType,
  Q extends z.ZodType,
  B extends z.ZodType,
  R extends z.ZodType,
  A extends RouteAuth,
> extends RouteBase<P, Q, A> {
  method: 'GET' | 'POST' | 'PUT' | 'DELETE'
  body?: B
  response: R
  /** Success status; 200 unless said. */
  status?: number
  /** Overrides the server's body limit for this route, in bytes. */
  bodyLimit?: number
  /**
   * The body is raw bytes of this type, handed to the handler unread as a stream (`body` is then the stream): the
   * route must be registered on an instance with a parser for it that passes the payload through.
   */
  rawBody?: 'application/octet-stream'
  handler(input: RouteInput<z.output<P>, z.output<Q>, z.output<B>, RouteCallers[A]>): Promise<z.input<R>> | z.input<R>
}

/**
 * A route answering raw bytes (an image) rather than JSON: authenticated and checked like `defineRoute`, then the
 * handler sends the reply itself, with `contentType`.
 */
export interface FileSpec<P extends z.ZodType, Q extends z.ZodType, A extends RouteAuth> extends RouteBase<P, Q, A> {
  contentType: string
  handler(input: Omit<RouteInput<z.output<P>, z.output<Q>, undefined, RouteCallers[A]>, 'body'>): Promise<void>
}

/** A `text/event-stream` route: the handler takes the reply over (`startEventStream`). */
export interface StreamSpec<P extends z.ZodType, Q extends z.ZodType, A extends RouteAuth> extends RouteBase<P, Q, A> {
  handler(input: Omit<RouteInput<z.output<P>, z.output<Q>, undefined, RouteCallers[A]>, 'body'>): Promise<void>
}

/** What the OpenAPI document and the fuzz suite are generated from: one entry per route, schemas included. */
export interface RouteDoc {
  method: string
  url: string
  summary: string
  tag: string
  auth: RouteAuth
  params?: z.ZodType
  query?: z.ZodType
  body?: z.ZodType
  response?: z.ZodType
  /** A non-JSON success answer, e.g. `text/event-stream`. */
  contentType?: string
  /** A non-JSON request body, e.g. `application/octet-stream`. */
  requestContentType?: string
  status: number
  errors: readonly RouteError[]
}

/**
 * The routes of one server and how each kind of caller is authenticated. Every route is registered through it
 * (`defineRoute`, `defineStream`), so none can skip authentication, and its entries feed the OpenAPI document
 * and the fuzz suite.
 */
export class RouteTable {
  constructor(
    private readonly authenticators: Authenticators,
    readonly docs: RouteDoc[] = [],
  ) {}

  /** The same table (same entries) with more ways to authenticate, e.g. the sandbox acquirer's merchant key. */
  with(more: Authenticators): RouteTable {
    return new RouteTable({ ...this.authenticators, ...more }, this.docs)
  }

  authenticator<A extends RouteAuth>(auth: A): Authenticator<RouteCallers[A]> | null {
    if (auth === 'none') return { reads: 'headers', authenticate: () => null as RouteCallers[A] }
    const found: unknown = (this.authenticators as Record<string, unknown>)[auth]
    return (found as Authenticator<RouteCallers[A]> | undefined) ?? null
  }
}

/** A path segment worth naming in an error: a field of our own schemas or an index, never a caller's text. */
const NAMED = /^[A-Za-z_][A-Za-z0-9_]{0,39}$/

/**
 * One line per problem, `field.path: what is wrong`, in words of the schema only: zod names unknown keys it
 * found, and a caller's keys could be anything, so those are described without their names.
 */
export function describeRequestIssues(error: z.ZodError): string {
  return error.issues
    .slice(0, 5)
    .map((issue) => {
      const path = issue.path.map((segment) =>
        typeof segment === 'number' || (typeof segment === 'string' && NAMED.test(segment)) ? String(segment) : '*',
      )
      const message = issue.code === 'unrecognized_keys' ? 'unknown field' : issue.message
      return `${path.length > 0 ? path.join('.') : '(root)'}: ${message}`
    })
    .join('; ')
}

/** Checks a request part against its schema, refusing it 400 `request.invalid` with the first problem's path. */
export function parsePart<S extends z.ZodType>(schema: S | undefined, value: unknown, part: string): z.output<S> {
  if (!schema) return undefined as z.output<S>
  const result = schema.safeParse(value)
  if (result.success) return result.data
  const first = result.error.issues[0]
  const path = first ? first.path.filter((s) => typeof s === 'number' || NAMED.test(String(s))).join('.') : ''
  throw badRequest('request.invalid', `${part}: ${describeRequestIssues(result.error)}`, {
    part,
    path,
    issues: result.error.issues.length,
  })
}

/**
 * Authentication runs first for every route: a token from the headers before the body is even read (an
 * `onRequest` hook), a signature as soon as the raw body is there; only then are parameters, query and body
 * looked at, so a caller without a credential learns nothing about them.
 */
function authentication<A extends RouteAuth>(table: RouteTable, auth: A, url: string) {
  const authenticator = table.authenticator(auth)
  if (!authenticator) throw new Error(`no authenticator for ${auth} routes, so ${url} cannot be registered`)
  const callers = new WeakMap<FastifyRequest, RouteCallers[A]>()
  return {
    onRequest:
      authenticator.reads === 'headers'
        ? async (request: FastifyRequest) => {
            callers.set(request, await authenticator.authenticate(request))
          }
        : undefined,
    async caller(request: FastifyRequest): Promise<RouteCallers[A]> {
      if (authenticator.reads === 'headers') return callers.get(request) as RouteCallers[A]
      return authenticator.authenticate(request)
    },
  }
}

/**
 * Registers a JSON route whose caller, parameters, query, body and answer are checked, and records it in the
 * table. In that order: the credential (401), then a body that was not JSON (400 `request.malformed_json`), then
 * parameters, query and body against their zod schemas from `shared/api` (400 `request.invalid`), all before
 * the handler runs. An answer that does not match its schema is our bug, and is answered 500 rather than sent.
 */
export function defineRoute<
  P extends z.ZodType = z.ZodUnknown,
  Q extends z.ZodType = z.ZodUnknown,
  B extends z.ZodType = z.ZodUnknown,
  R extends z.ZodType = z.ZodUnknown,
  A extends RouteAuth = RouteAuth,
>(app: FastifyInstance, table: RouteTable, spec: RouteSpec<P, Q, B, R, A>): void {
  const auth = authentication(table, spec.auth, spec.url)
  table.docs.push({
    method: spec.method,
    url: spec.url,
    summary: spec.summary,
    tag: spec.tag,
    auth: spec.auth,
    params: spec.params,
    query: spec.query,
    body: spec.body,
    response: spec.response,
    ...(spec.rawBody ? { requestContentType: spec.rawBody } : {}),
    status: spec.status ?? 200,
    errors: spec.errors ?? [],
  })
  app.route({
    method: spec.method,
    url: spec.url,
    ...(spec.bodyLimit ? { bodyLimit: spec.bodyLimit } : {}),
    ...(auth.onRequest ? { onRequest: auth.onRequest } : {}),
    handler: async (request, reply) => {
      const caller = await auth.caller(request)
      if (request.bodyMalformed) throw badRequest('request.malformed_json', 'the body is not valid JSON')
      const params = parsePart(spec.params, request.params, 'params')
      const query = parsePart(spec.query, request.query, 'query')
      if (spec.body && (request.body === undefined || request.body === null)) {
        throw badRequest('request.invalid', 'body: a JSON body is required', { part: 'body', path: '', issues: 1 })
      }
      if (spec.rawBody && !(request.body instanceof Readable)) {
        throw badRequest('request.invalid', `body: a ${spec.rawBody} body is required`, {
          part: 'body',
          path: '',
          issues: 1,
        })
      }
      const body = spec.rawBody
        ? (request.body as z.output<B>)
        : spec.body
          ? parsePart(spec.body, request.body, 'body')
          : (undefined as z.output<B>)
      const answer = await spec.handler({ params, query, body, caller, request, reply })
      const checked = spec.response.safeParse(answer)
      if (!checked.success) {
        request.log.error({ issues: checked.error.issues, url: spec.url }, 'answer does not match its schema')
        throw new ApiError(500, 'internal', 'internal error')
      }
      return reply.code(spec.status ?? 200).send(checked.data)
    },
  })
}

/**
 * Registers a server-sent event stream (`GET`), authenticated and checked like `defineRoute` before its
 * handler takes the reply over, and records it in the table.
 */
export function defineStream<
  P extends z.ZodType = z.ZodUnknown,
  Q extends z.ZodType = z.ZodUnknown,
  A extends RouteAuth = RouteAuth,
>(app: FastifyInstance, table: RouteTable, spec: StreamSpec<P, Q, A>): void {
  const auth = authentication(table, spec.auth, spec.url)
  table.docs.push({
    method: 'GET',
    url: spec.url,
    summary: spec.summary,
    tag: spec.tag,
    auth: spec.auth,
    params: spec.params,
    query: spec.query,
    contentType: 'text/event-stream',
    status: 200,
    errors: spec.errors ?? [],
  })
  app.route({
    method: 'GET',
    url: spec.url,
    ...(auth.onRequest ? { onRequest: auth.onRequest } : {}),
    handler: async (request, reply) => {
      const caller = await auth.caller(request)
      const params = parsePart(spec.params, request.params, 'params')
      const query = parsePart(spec.query, request.query, 'query')
      await spec.handler({ params, query, caller, request, reply })
    },
  })
}

/** Registers a `GET` answering bytes (`FileSpec`), authenticated and checked first, and records it in the table. */
export function defineFileRoute<
  P extends z.ZodType = z.ZodUnknown,
  Q extends z.ZodType = z.ZodUnknown,
  A extends RouteAuth = RouteAuth,
>(app: FastifyInstance, table: RouteTable, spec: FileSpec<P, Q, A>): void {
  const auth = authentication(table, spec.auth, spec.url)
  table.docs.push({
    method: 'GET',
    url: spec.url,
    summary: spec.summary,
    tag: spec.tag,
    auth: spec.auth,
    params: spec.params,
    query: spec.query,
    contentType: spec.contentType,
    status: 200,
    errors: spec.errors ?? [],
  })
  app.route({
    method: 'GET',
    url: spec.url,
    ...(auth.onRequest ? { onRequest: auth.onRequest } : {}),
    handler: async (request, reply) => {
      const caller = await auth.caller(request)
      const params = parsePart(spec.params, request.params, 'params')
      const query = parsePart(spec.query, request.query, 'query')
      await spec.handler({ params, query, caller, request, reply })
    },
  })
}
