import type { BackendContext } from '../context'

/**
 * Deletes evidence files (personal data) once they have been kept `config.evidenceRetention.keepMs` since they
 * were stored, a file at a time: the store first, then `deleted_ms` on its row, which stays as the record of what
 * was deleted and when. A crash between the two deletes it again next time (deleting nothing is not an error).
 */
export async function deleteExpiredEvidence(context: BackendContext, limit = 500): Promise<number> {
  const before = context.now() - context.config.evidenceRetention.keepMs
  const due = await context.db
    .selectFrom('evidence')
    .select('id')
    .where('stored_ms', 'is not', null)
    .where('stored_ms', '<=', before)
    .where('deleted_ms', 'is', null)
    .orderBy('stored_ms')
    .limit(limit)
    .execute()
  for (const row of due) {
    await context.evidence.delete(row.id)
    await context.db
      .updateTable('evidence')
      .set({ deleted_ms: context.now() })
      .where('id', '=', row.id)
      .where('deleted_ms', 'is', null)
      .execute()
  }
  if (due.length > 0)
    context.log.info({ event: 'evidence.deleted', count: due.length }, 'evidence past retention deleted')
  return due.length
}

/** Runs `deleteExpiredEvidence` every `pollMs`; `stop()` waits for a pass under way. */
export function startEvidenceRetention(context: BackendContext): { drain(): Promise<number>; stop(): Promise<void> } {
  let running: Promise<number> | null = null
  const drain = (): Promise<number> =>
    (running ??= deleteExpiredEvidence(context)
      .catch((error: unknown) => {
        context.log.error({ err: error }, 'evidence retention failed')
        return 0
      })
      .finally(() => {
        running = null
      }))
  const timer = setInterval(() => void drain(), context.config.evidenceRetention.pollMs)
  timer.unref()
  return {
    drain,
    async stop() {
      clearInterval(timer)
      await running
    },
  }
}
