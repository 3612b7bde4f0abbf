import { createReadStream, rmSync } from 'node:fs'
import { join } from 'node:path'
import { API_PREFIX } from '../../../shared/api/common'
import { EvidenceUploadStatus, evidencePath } from '../../../shared/api/evidence'
import { TuotouError } from '../../../shared/errors'
import type { CoreContext } from '../context'
import { evidenceDir } from './evidence'

interface PendingEvidence {
  evidence_id: string
  file: string
  bytes: number
}

/** Evidence whose event the backend has applied (acked, or acked and since pruned), not yet confirmed uploaded. */
function uploadable(ctx: CoreContext, limit: number): PendingEvidence[] {
  return ctx.db.all<PendingEvidence>(
    `SELECT e.evidence_id, e.file, e.bytes FROM evidence e
     LEFT JOIN outbox o ON o.event_id = e.event_id
     WHERE e.uploaded_at IS NULL AND e.missing_at IS NULL AND (o.state = 'acked' OR o.seq IS NULL)
     ORDER BY e.captured_at LIMIT ?`,
    [limit],
  )
}

export interface EvidenceUploadPass {
  uploaded: number
  failed: number
  lastError: string | null
}

/**
 * Uploads evidence files after their events, each streamed from disk: it asks the backend what it holds
 * (`received`) and sends only the rest, so a retry after a cut continues and never sends a byte twice. Once the
 * backend says `complete` (it verified size and SHA-256), the row is marked in one statement and then the file is
 * deleted: the device keeps no copy of personal data the backend holds.
 */
export async function uploadEvidence(
  ctx: CoreContext,
  who: { deviceId: string; token: string },
  options: { limit?: number } = {},
): Promise<EvidenceUploadPass> {
  const pass: EvidenceUploadPass = { uploaded: 0, failed: 0, lastError: null }
  const dir = evidenceDir(ctx.options.dataDir)
  for (const row of uploadable(ctx, options.limit ?? 1000)) {
    const path = `${API_PREFIX}${evidencePath(who.deviceId, row.evidence_id)}`
    try {
      let status = await ctx.backend.request({
        method: 'GET',
        path,
        token: who.token,
        response: EvidenceUploadStatus,
        timeoutMs: 10_000,
      })
      if (!status.complete) {
        status = await ctx.backend.request({
          method: 'PUT',
          path: `${path}?offset=${status.received}`,
          token: who.token,
          bytes: createReadStream(join(dir, row.file), { start: status.received }),
          response: EvidenceUploadStatus,
          timeoutMs: 60_000,
        })
      }
      if (!status.complete) throw new TuotouError('evidence.incomplete', 'the backend holds only part of the file')
      const at = ctx.now().toISOString()
      ctx.db.run('UPDATE evidence SET uploaded_at = ? WHERE evidence_id = ?', [at, row.evidence_id])
      rmSync(join(dir, row.file), { force: true })
      ctx.db.run('UPDATE evidence SET file_deleted_at = ? WHERE evidence_id = ?', [at, row.evidence_id])
      pass.uploaded++
    } catch (error) {
      pass.failed++
      const failure = error instanceof TuotouError ? error : new TuotouError('internal', String(error))
      pass.lastError = `${failure.code}: ${failure.message}`
      // No coverage: the rest would fail the same way; try again at the next drain.
      if (failure.code === 'backend.unreachable' || failure.details.status === 401) break
    }
  }
  return pass
}

/** How many evidence files are still waiting for their upload. */
export function evidencePending(ctx: CoreContext): number {
  return (
    ctx.db.get<{ n: number }>('SELECT COUNT(*) AS n FROM evidence WHERE uploaded_at IS NULL AND missing_at IS NULL')
      ?.n ?? 0
  )
}
