import type { Kysely } from 'kysely'
import { DEFAULT_PROOF_RULES, ProofRules, type ProofRulesView } from '../../shared/api/proof'
import type { BackendSchema } from '../db/schema'

/**
 * The depot's proof rules as stored; a depot with none, or rules this version cannot read, asks for no proof
 * (a stored value never makes a read answer 500, and never invents a requirement).
 */
export async function depotProofRules(db: Kysely<BackendSchema>, depotId: string): Promise<ProofRulesView> {
  const row = await db
    .selectFrom('depot_proof_rules')
    .select(['rules', 'updated_ms', 'updated_by'])
    .where('depot_id', '=', depotId)
    .executeTakeFirst()
  if (!row) return { rules: DEFAULT_PROOF_RULES, updatedAt: null, updatedBy: null }
  let parsed: unknown
  try {
    parsed = JSON.parse(row.rules)
  } catch {
    parsed = null
  }
  const rules = ProofRules.safeParse(parsed)
  const ms = Number(row.updated_ms)
  return {
    rules: rules.success ? rules.data : DEFAULT_PROOF_RULES,
    updatedAt: Number.isFinite(ms) && ms >= 0 && ms < 253_402_300_800_000 ? new Date(ms).toISOString() : null,
    updatedBy: typeof row.updated_by === 'string' ? row.updated_by.slice(0, 100) : null,
  }
}

/** Sets the depot's rules (one statement: the new rules replace the old). They apply to manifests built after. */
export async function setDepotProofRules(
  db: Kysely<BackendSchema>,
  depotId: string,
  rules: ProofRules,
  by: string,
  nowMs: number,
): Promise<void> {
  await db
    .insertInto('depot_proof_rules')
    .values({ depot_id: depotId, rules: JSON.stringify(rules), updated_ms: nowMs, updated_by: by })
    .onConflict((oc) =>
      oc.column('depot_id').doUpdateSet({ rules: JSON.stringify(rules), updated_ms: nowMs, updated_by: by }),
    )
    .execute()
}
