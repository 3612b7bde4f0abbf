import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import type { z } from 'zod'
import { describeIssues } from '../../shared/errors'
import { ApiError, badRequest } from './errors'

/** Who may call a route, for the OpenAPI document's security and for readers. */
export type RouteAuth = 'none' | 'device' | 'shift' | 'supervisor' | 'acquirer_signature' | 'acquirer_merchant'

/** An error a route may answer with, documented in the OpenAPI document. */
export interface RouteError {
  status: number
  code: string
}

export interface RouteInput<P, Q, B> {
  params: P
  query: Q
  body: B
  request: FastifyRequest
  reply: FastifyReply
}

export interface RouteSpec<P extends z.ZodType, Q extends z.ZodType, B extends z.ZodType, R extends z.ZodType> {
  method: 'GET' | 'POST' | 'PUT' | 'DELETE'
  /** Fastify path, `:name` for parameters. */
  url: string
  summary: string
  tag: string
  auth: RouteAuth
  params?: P
  query?: Q
  body?: B
  /**
   * The handler checks the body itself, after something that must come first (the webhook's signature); the
   * schema is still documented.
   */
  bodyCheckedByHandler?: boolean
  response: R
  /** Success status; 200 unless said. */
  status?: number
  errors?: readonly RouteError[]
  /** Overrides the server's body limit for this route, in bytes. */
  bodyLimit?: number
  handler(input: RouteInput<z.output<P>, z.output<Q>, z.output<B>>): Promise<z.input<R>> | z.input<R>
}

/** What the OpenAPI document is generated from: one entry per route, schemas included. */
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
  status: number
  errors: readonly RouteError[]
}

/** Checks a request part against its schema, refusing it 400 `request.invalid` with the first problem's path. */
export function parsePart<S extends z.ZodType>(schema: S | undefined, value: unknown, part: string): z.output<S> {
  if (!schema) return undefined as z.output<S>
  const result = schema.safeParse(value)
  if (result.success) return result.data
  const first = result.error.issues[0]
  throw badRequest('request.invalid', `${part}: ${describeIssues(result.error)}`, {
    part,
    path: first ? first.path.join('.') : '',
    issues: result.error.issues.length,
  })
}

/**
 * Registers a JSON route whose parameters, query, body and answer are checked against zod schemas from
 * `shared/api`, and records it for the OpenAPI document. A request that does not match is refused 400
 * `request.invalid` before the handler runs; an answer that does not match its schema is our bug, and is
 * answered 500 rather than sent.
 */
export function defineRoute<
  P extends z.ZodType = z.ZodUnknown,
  Q extends z.ZodType = z.ZodUnknown,
  B extends z.ZodType = z.ZodUnknown,
  R extends z.ZodType = z.ZodUnknown,
>(app: FastifyInstance, docs: RouteDoc[], spec: RouteSpec<P, Q, B, R>): void {
  docs.push({
    method: spec.method,
    url: spec.url,
    summary: spec.summary,
    tag: spec.tag,
    auth: spec.auth,
    params: spec.params,
    query: spec.query,
    body: spec.body,
    response: spec.response,
    status: spec.status ?? 200,
    errors: spec.errors ?? [],
  })
  app.route({
    method: spec.method,
    url: spec.url,
    ...(spec.bodyLimit ? { bodyLimit: spec.bodyLimit } : {}),
    handler: async (request, reply) => {
      const params = parsePart(spec.params, request.params, 'params')
      const query = parsePart(spec.query, request.query, 'query')
      const checkBody = spec.body && !spec.bodyCheckedByHandler
      if (checkBody && (request.body === undefined || request.body === null)) {
        throw badRequest('request.invalid', 'body: a JSON body is required', { part: 'body', path: '', issues: 1 })
      }
      const body = checkBody ? parsePart(spec.body, request.body, 'body') : (request.body as z.output<B>)
      const answer = await spec.handler({ params, query, body, request, reply })
      const checked = spec.response.safeParse(answer)
      if (!checked.success) {
        request.log.error({ issues: checked.error.issues, url: spec.url }, 'answer does not match its schema')
        throw new ApiError(500, 'internal', 'internal error')
      }
      return reply.code(spec.status ?? 200).send(checked.data)
    },
  })
}
