import { z } from 'zod'
import { ApiErrorResponse } from '../../shared/api/common'
import type { RouteAuth, RouteDoc } from './routes'

type JsonSchema = Record<string, unknown>

const SECURITY: Record<RouteAuth, Record<string, string[]>[] | undefined> = {
  none: [],
  device: [{ deviceToken: [] }],
  shift: [{ shiftToken: [] }],
  supervisor: [{ supervisorToken: [] }],
  acquirer_signature: [{ acquirerSignature: [] }],
  acquirer_merchant: [{ acquirerMerchantKey: [] }],
}

function toSchema(schema: z.ZodType, io: 'input' | 'output'): JsonSchema {
  const json = z.toJSONSchema(schema, { io, unrepresentable: 'any', target: 'draft-2020-12' }) as JsonSchema
  delete json.$schema
  return json
}

/** The parameters of one location (`path` or `query`) from an object schema. */
function parameters(schema: z.ZodType | undefined, location: 'path' | 'query'): JsonSchema[] {
  if (!schema) return []
  const json = toSchema(schema, 'input')
  const properties = (json.properties ?? {}) as Record<string, JsonSchema>
  const required = new Set((json.required as string[] | undefined) ?? [])
  return Object.entries(properties).map(([name, property]) => ({
    name,
    in: location,
    required: location === 'path' || required.has(name),
    schema: property,
  }))
}

/**
 * The OpenAPI 3.1 document for every route registered through `defineRoute`, generated from the same zod
 * schemas the routes validate with, so the document cannot drift from what the backend accepts.
 */
export function openApiDocument(docs: readonly RouteDoc[], version: string): JsonSchema {
  const paths: Record<string, Record<string, JsonSchema>> = {}
  const errorSchema = toSchema(ApiErrorResponse, 'output')
  for (const doc of docs) {
    const path = doc.url.replace(/:([A-Za-z0-9_]+)/g, '{$1}')
    const responses: Record<string, JsonSchema> = {
      [String(doc.status)]: {
        description: 'success',
        content: doc.contentType
          ? { [doc.contentType]: { schema: { type: 'string' } } }
          : doc.response
            ? { 'application/json': { schema: toSchema(doc.response, 'output') } }
            : undefined,
      },
    }
    const byStatus = new Map<number, string[]>()
    for (const error of [{ status: 400, code: 'request.invalid' }, ...doc.errors]) {
      byStatus.set(error.status, [...(byStatus.get(error.status) ?? []), error.code])
    }
    for (const [status, codes] of byStatus) {
      responses[String(status)] = {
        description: `error: ${[...new Set(codes)].join(', ')}`,
        content: { 'application/json': { schema: errorSchema } },
      }
    }
    paths[path] ??= {}
    paths[path][doc.method.toLowerCase()] = {
      summary: doc.summary,
      tags: [doc.tag],
      security: SECURITY[doc.auth],
      parameters: [...parameters(doc.params, 'path'), ...parameters(doc.query, 'query')],
      ...(doc.requestContentType
        ? {
            requestBody: {
              required: true,
              content: { [doc.requestContentType]: { schema: { type: 'string', format: 'binary' } } },
            },
          }
        : {}),
      ...(doc.body
        ? { requestBody: { required: true, content: { 'application/json': { schema: toSchema(doc.body, 'input') } } } }
        : {}),
      responses,
    }
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'Tuotou logistics backend',
      version,
      description:
        'Manifests, payment intents, device event ingest, the device stream, the acquirer webhook and the depot ' +
        'endpoints. Every error is `{ "error": { "code", "message", "details" } }` with a 4xx or 5xx status.',
    },
    components: {
      securitySchemes: {
        deviceToken: { type: 'http', scheme: 'bearer', description: 'From device enrollment.' },
        shiftToken: { type: 'http', scheme: 'bearer', description: 'From courier login; expires with the shift.' },
        supervisorToken: { type: 'http', scheme: 'bearer', description: 'From supervisor login.' },
        acquirerSignature: {
          type: 'apiKey',
          in: 'header',
          name: 'x-acquirer-signature',
          description: 'HMAC-SHA256 over `<x-acquirer-timestamp>.<raw body>`, lower-case hex.',
        },
        acquirerMerchantKey: { type: 'http', scheme: 'bearer', description: "The merchant's acquirer API key." },
      },
    },
    paths,
  }
}
