import { createHash } from 'node:crypto'
import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import Database from 'better-sqlite3'
import { API_PREFIX } from '../../shared/api/common'
import { SupervisorLoginResponse } from '../../shared/api/depot'
import { PROOF_PATHS, ProofsResponse, type ProofRules } from '../../shared/api/proof'
import type { Plan } from './plan'
import type { ProofSummary } from './proof'
import type { ExpectationResult, StopResult } from './result'

/**
 * The end-of-round checks on proof (issue 14), against what the backend holds, never the runner's own notes: each
 * stop's handover, code and override as the depot's proof view reports them, and every evidence file the backend
 * stored, read back from its store and hashed again, matched to the order its event bound it to on the terminal.
 */

/** One evidence row of the backend, with its stored file hashed again (null: no file in the store). */
export interface StoredEvidence {
  id: string
  orderId: string
  kind: string
  sha256: string
  bytes: number
  stored: boolean
  file: { sha256: string; bytes: number } | null
}

/** An evidence event the terminal wrote (`proof.evidence_captured` in its outbox): the binding it made. */
export interface AnnouncedEvidence {
  evidenceId: string
  orderId: string
  kind: string
  sha256: string
}

/** A delivery's proof as the depot's proof view shows it. */
export interface DepotProof {
  orderId: string
  handover: string | null
  codeVerified: boolean
  codeTries: number
  override: string | null
}

export interface ProofRecords {
  /** By waybill. */
  proofs: Map<string, DepotProof>
  stored: StoredEvidence[]
  announced: AnnouncedEvidence[]
}

const sha = (bytes: Buffer): string => createHash('sha256').update(bytes).digest('hex')

/** The backend's evidence folder beside its SQLite file (`backend/cli.ts`): verified files under `stored/`. */
export const evidenceStoreOf = (backendDb: string): string =>
  join(backendDb.replace(/\.sqlite$/, '') + '.evidence', 'stored')

/** Every evidence row of the backend, each stored file read back from the store and hashed. */
export function storedEvidence(backendDb: string): StoredEvidence[] {
  const db = new Database(backendDb, { readonly: true, fileMustExist: true })
  try {
    const store = evidenceStoreOf(backendDb)
    const rows = db
      .prepare('SELECT id, order_id, kind, sha256, bytes, stored_ms FROM evidence ORDER BY created_ms, id')
      .all() as {
      id: string
      order_id: string
      kind: string
      sha256: string
      bytes: number
      stored_ms: number | null
    }[]
    return rows.map((row) => {
      const path = join(store, row.id)
      const bytes = row.stored_ms !== null && existsSync(path) ? readFileSync(path) : null
      return {
        id: row.id,
        orderId: row.order_id,
        kind: row.kind,
        sha256: row.sha256,
        bytes: Number(row.bytes),
        stored: row.stored_ms !== null,
        file: bytes ? { sha256: sha(bytes), bytes: bytes.length } : null,
      }
    })
  } finally {
    db.close()
  }
}

/** The evidence events a terminal wrote, from its own outbox. */
export function announcedEvidence(deviceDb: string): AnnouncedEvidence[] {
  const db = new Database(deviceDb, { readonly: true, fileMustExist: true })
  try {
    const rows = db.prepare(`SELECT payload FROM outbox WHERE type = 'proof.evidence_captured' ORDER BY seq`).all() as {
      payload: string
    }[]
    return rows.map((row) => {
      const payload = JSON.parse(row.payload) as AnnouncedEvidence
      return { evidenceId: payload.evidenceId, orderId: payload.orderId, kind: payload.kind, sha256: payload.sha256 }
    })
  } finally {
    db.close()
  }
}

async function supervisorToken(backendUrl: string, login: { login: string; password: string }): Promise<string> {
  const session = await fetch(`${backendUrl}${API_PREFIX}/depot/sessions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ login: login.login, password: login.password }),
  })
  if (!session.ok) throw new Error(`the supervisor could not log in (${session.status}): ${await session.text()}`)
  return SupervisorLoginResponse.parse(await session.json()).supervisorToken
}

/** Sets the depot's proof rules as a supervisor does, before the courier's shift fetches the manifest. */
export async function setProofRules(
  backendUrl: string,
  login: { login: string; password: string },
  rules: ProofRules,
): Promise<void> {
  const token = await supervisorToken(backendUrl, login)
  const answer = await fetch(`${backendUrl}${API_PREFIX}${PROOF_PATHS.rules}`, {
    method: 'PUT',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify(rules),
  })
  if (!answer.ok) throw new Error(`the depot refused the proof rules (${answer.status}): ${await answer.text()}`)
}

/** The day's proofs as the depot's proof tab reads them, by waybill. */
export async function depotProofs(
  backendUrl: string,
  login: { login: string; password: string },
  routeDate: string,
): Promise<Map<string, DepotProof>> {
  const token = await supervisorToken(backendUrl, login)
  const answer = await fetch(`${backendUrl}${API_PREFIX}${PROOF_PATHS.proofs}?date=${routeDate}`, {
    headers: { authorization: `Bearer ${token}` },
  })
  if (!answer.ok) throw new Error(`the proof view answered ${answer.status}: ${await answer.text()}`)
  const view = ProofsResponse.parse(await answer.json())
  return new Map(
    view.proofs.map((proof) => [
      proof.waybill,
      {
        orderId: proof.orderId,
        handover: proof.handover,
        codeVerified: proof.codeVerified,
        codeTries: proof.codeTries,
        override: proof.override?.reason ?? null,
      },
    ]),
  )
}

/**
 * Checks every stop's proof against the backend and adds up the evidence files: lost (planned, not stored on its
 * order), duplicated (more than planned on an order, or one file twice), misfiled (on an order the terminal did
 * not bind it to, or one with none planned), and verified (the stored file's size and SHA-256 are the row's and
 * the terminal's). Problems go on the stops; the expectations are returned.
 */
export function checkProof(
  plan: Plan,
  stops: StopResult[],
  records: ProofRecords,
): { expectations: ExpectationResult[]; summary: ProofSummary } {
  const summary: ProofSummary = {
    given: { code: 0, photo: 0, signature: 0 },
    codesVerified: 0,
    codesLocked: 0,
    overrides: 0,
    uploaded: 0,
    verified: 0,
    lost: 0,
    duplicated: 0,
    misfiled: 0,
  }
  const announced = new Map(records.announced.map((event) => [event.evidenceId, event]))
  const stored = records.stored.filter((row) => row.stored)
  const planned = new Map<string, number>()
  for (const stop of plan.stops) {
    const proof = stop.proof
    const result = stops.find((s) => s.n === stop.n)
    const depot = records.proofs.get(stop.waybill)
    if (depot?.codeVerified) summary.codesVerified++
    if (depot && !depot.codeVerified && depot.codeTries >= 5) summary.codesLocked++
    if (depot?.override) summary.overrides++
    if (!proof) continue
    if (!depot) {
      result?.problems.push(`the depot's proof view has nothing for ${stop.waybill}`)
      continue
    }
    const differs = (what: string, want: string | number | boolean | null, got: string | number | boolean | null) => {
      if (want !== got) {
        result?.problems.push(`the depot's proof view shows ${what} ${String(got)}, the round planned ${String(want)}`)
      }
    }
    differs('the handover as', proof.handover, depot.handover)
    differs('the code verified:', proof.expected.codeVerified, depot.codeVerified)
    differs('code tries:', proof.expected.codeTries, depot.codeTries)
    differs('the override as', proof.expected.override, depot.override)
    for (const kind of ['photo', 'signature'] as const) {
      if (proof.expected.evidence[kind] > 0) planned.set(`${depot.orderId} ${kind}`, proof.expected.evidence[kind])
    }
  }
  summary.given.code = summary.codesVerified
  const held = new Map<string, StoredEvidence[]>()
  for (const row of stored) {
    const key = `${row.orderId} ${row.kind}`
    held.set(key, [...(held.get(key) ?? []), row])
    if (row.kind === 'photo' || row.kind === 'signature') summary.given[row.kind]++
    const bound = announced.get(row.id)
    if (!bound || bound.orderId !== row.orderId || !planned.has(key)) summary.misfiled++
    if (row.file && row.file.sha256 === row.sha256 && row.file.bytes === row.bytes && bound?.sha256 === row.sha256) {
      summary.verified++
    }
  }
  summary.uploaded = stored.length
  for (const [key, want] of planned) {
    const got = held.get(key)?.length ?? 0
    if (got < want) summary.lost += want - got
    if (got > want) summary.duplicated += got - want
  }
  // The same bytes twice on one order are one file uploaded twice (two recipients may well sign alike).
  summary.duplicated += stored.length - new Set(stored.map((row) => `${row.orderId} ${row.sha256}`)).size
  // Announced on the terminal and never stored: lost too, unless the plan already counted it.
  const notStored = records.announced.filter((event) => !stored.some((row) => row.id === event.evidenceId)).length
  summary.lost = Math.max(summary.lost, notStored)

  const expected = plan.expect.proof
  const expectations: ExpectationResult[] = []
  if (!expected) return { expectations, summary }
  const add = (name: string, want: number | string, got: number | string, reason: string): void => {
    expectations.push({
      name,
      expected: String(want),
      actual: String(got),
      held: want === got,
      reason: want === got ? null : reason,
      source: expected.source,
    })
  }
  const value = expected.value
  const byKind = (given: ProofSummary['given']): string =>
    `code ${given.code}, photo ${given.photo}, signature ${given.signature}`
  add(
    'proofs given by kind',
    byKind(value.given),
    byKind(summary.given),
    'the backend holds other proofs than the stops gave (codes verified, photos and signatures stored)',
  )
  add('delivery codes verified', value.codesVerified, summary.codesVerified, 'see the stops with a code')
  add('delivery codes locked (tries ran out)', value.codesLocked, summary.codesLocked, 'see the stops with a code')
  add('proof overrides', value.overrides, summary.overrides, 'see the stops with an override')
  add('evidence files uploaded', value.uploaded, summary.uploaded, 'the backend stored a different number of files')
  add(
    'evidence hashes verified from the store',
    value.verified,
    summary.verified,
    'a stored file does not match the size and SHA-256 its event bound',
  )
  add('evidence files lost', 0, summary.lost, 'files the stops planned or the terminal announced are not stored')
  add('evidence files duplicated', 0, summary.duplicated, 'an order holds more files than planned, or one twice')
  add(
    'evidence files on the wrong order',
    0,
    summary.misfiled,
    'a stored file sits on an order its event did not bind it to',
  )
  return { expectations, summary }
}
