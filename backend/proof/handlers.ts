import type { FastifyInstance } from 'fastify'
import { z } from 'zod'
import { API_PREFIX } from '../../shared/api/common'
import { DashboardDayQuery } from '../../shared/api/dashboard'
import { PROOF_PATHS, ProofRules, ProofRulesView, ProofsResponse } from '../../shared/api/proof'
import type { BackendContext } from '../context'
import { defineRoute, type RouteTable } from '../http/routes'
import { routeDateOf } from '../manifests/route-date'
import { proofsOfDay } from './records'
import { depotProofRules, setDepotProofRules } from './rules'
import type { SandboxSmsMessage, SmsProvider } from './sms'

const SUPERVISOR_ERRORS = [
  { status: 400, code: 'request.invalid' },
  { status: 401, code: 'auth.missing' },
  { status: 401, code: 'auth.expired' },
  { status: 403, code: 'auth.supervisors_only' },
] as const

/**
 * The depot's proof rules (read and set by its supervisors; they apply to manifests built after) and each day's
 * delivery proofs for the dashboard. Keyed by the session's depot, never by one in the request.
 */
export function registerProofRoutes(app: FastifyInstance, routes: RouteTable, context: BackendContext): void {
  defineRoute(app, routes, {
    method: 'GET',
    url: `${API_PREFIX}${PROOF_PATHS.rules}`,
    summary: "The depot's proof rules: which orders need a delivery code, a signature or a photo",
    tag: 'depot',
    auth: 'supervisor',
    response: ProofRulesView,
    errors: SUPERVISOR_ERRORS,
    handler: ({ caller }) => depotProofRules(context.db, caller.depotId),
  })

  defineRoute(app, routes, {
    method: 'PUT',
    url: `${API_PREFIX}${PROOF_PATHS.rules}`,
    summary: "Sets the depot's proof rules; manifests built from now on carry the policies they give",
    tag: 'depot',
    auth: 'supervisor',
    body: ProofRules,
    response: ProofRulesView,
    errors: SUPERVISOR_ERRORS,
    handler: async ({ body, caller }) => {
      const supervisor = await context.db
        .selectFrom('supervisors')
        .select('login')
        .where('id', '=', caller.supervisorId)
        .executeTakeFirst()
      await setDepotProofRules(
        context.db,
        caller.depotId,
        body,
        supervisor?.login ?? caller.supervisorId,
        context.now(),
      )
      return depotProofRules(context.db, caller.depotId)
    },
  })

  defineRoute(app, routes, {
    method: 'GET',
    url: `${API_PREFIX}${PROOF_PATHS.proofs}`,
    summary: 'Proof of delivery for a day: what each policy asked, code tries, handover, overrides and reasons',
    tag: 'dashboard',
    auth: 'supervisor',
    query: DashboardDayQuery,
    response: ProofsResponse,
    errors: SUPERVISOR_ERRORS,
    handler: async ({ query, caller }) => {
      const depot = await context.db
        .selectFrom('depots')
        .select(['id', 'time_zone'])
        .where('id', '=', caller.depotId)
        .executeTakeFirstOrThrow()
      return proofsOfDay(context.db, depot.id, query.date ?? routeDateOf(context.now(), depot.time_zone))
    },
  })
}

/** The sandbox SMS gateway's pages, beside the sandbox acquirer's. */
export const SMS_PREFIX = '/sandbox/sms'

const SmsMessages = z.object({
  messages: z.array(
    z.object({ to: z.string(), text: z.string(), orderId: z.string(), waybill: z.string(), sentAt: z.string() }),
  ),
})
const SmsQuery = z.object({ waybill: z.string().min(1).max(64).optional() }).strict()

const escapeHtml = (text: string): string => text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`)

/**
 * The sandbox SMS gateway's outbox, the recipient's phone in a test: `GET /sandbox/sms/messages?waybill` as JSON
 * (the round runner reads codes here) and `/sandbox/sms/` as a page. Mounted only with the sandbox.
 */
export function registerSandboxSmsRoutes(
  app: FastifyInstance,
  routes: RouteTable,
  sms: SmsProvider & { messages(): readonly SandboxSmsMessage[] },
): void {
  const matching = (waybill: string | undefined): SandboxSmsMessage[] =>
    sms.messages().filter((m) => waybill === undefined || m.waybill === waybill.trim().toUpperCase())
  defineRoute(app, routes, {
    method: 'GET',
    url: `${SMS_PREFIX}/messages`,
    summary: 'Sandbox SMS: the messages "sent" (delivery codes), newest last',
    tag: 'sandbox',
    auth: 'none',
    query: SmsQuery,
    response: SmsMessages,
    handler: ({ query }) => Promise.resolve({ messages: matching(query.waybill) }),
  })
  app.get(`${SMS_PREFIX}/`, (_request, reply) => {
    const rows = [...sms.messages()]
      .reverse()
      .map(
        (m) =>
          `<tr><td>${escapeHtml(m.sentAt)}</td><td>${escapeHtml(m.to)}</td><td>${escapeHtml(m.waybill)}</td><td>${escapeHtml(m.text)}</td></tr>`,
      )
      .join('')
    void reply
      .header('content-type', 'text/html; charset=utf-8')
      .header('content-security-policy', "default-src 'none'; style-src 'unsafe-inline'")
      .send(
        `<!doctype html><html lang="zh-CN"><meta charset="utf-8"><title>Sandbox SMS 短信</title>` +
          `<style>body{font:16px system-ui;margin:1rem}td,th{border-bottom:1px solid #ccc;padding:.4rem;text-align:left}</style>` +
          `<h1>Sandbox SMS 短信</h1><table><tr><th>Sent</th><th>To</th><th>Waybill</th><th>Text</th></tr>${rows}</table></html>`,
      )
  })
}
