import { rmSync } from 'node:fs'
import { join } from 'node:path'
import { DELIVERY_CODE_MAX_ATTEMPTS, type ProofKind } from '../../../shared/api/proof'
import { TuotouError } from '../../../shared/errors'
import { deliveryCodeMatches } from '../../../shared/delivery-code'
import { answer, type CoreContext, type HandlersFor } from '../context'
import { requireInHand } from '../doorstep/require'
import { orderView, requireOrder } from '../manifest/views'
import { appendEvent } from '../outbox/store'
import { evidenceBytes, evidenceDir, recordEvidence, writeEvidenceFile } from './evidence'
import { missingProof, proofState, triesLeft } from './store'

export type ProofHandlers = HandlersFor<'chooseHandover' | 'submitDeliveryCode' | 'overrideProof' | 'captureEvidence'>

export function proofHandlers(ctx: CoreContext): ProofHandlers {
  const changed = (orderId: string): void => {
    ctx.outboxChanged()
    ctx.events.emit('routeChanged', { orderIds: [orderId] })
    ctx.doorstep.changed()
  }

  return {
    chooseHandover: ({ orderId, handover }) =>
      answer(() => {
        const order = requireInHand(ctx, orderId, { opened: true })
        if (ctx.doorstep.collecting() !== null) {
          throw new TuotouError('proof.collection_open', `go back from the payment of ${order.waybill} first`, {
            waybill: order.waybill,
          })
        }
        ctx.db.run(
          `INSERT INTO proof_handover (order_id, attempt, handover) VALUES (?, ?, ?)
           ON CONFLICT (order_id, attempt) DO UPDATE SET handover = excluded.handover`,
          [orderId, order.attempt, handover],
        )
        ctx.doorstep.changed()
        return orderView(ctx.db, requireOrder(ctx.db, orderId))
      }),

    submitDeliveryCode: async ({ orderId, code }) => {
      const order = requireInHand(ctx, orderId)
      const before = proofState(ctx.db, order)
      if (!before.check) {
        throw new TuotouError('proof.no_code', `order ${order.waybill} has no delivery code`, {
          waybill: order.waybill,
        })
      }
      if (before.codeVerified) {
        throw new TuotouError('proof.code_already_verified', `the code of ${order.waybill} was already right`, {
          waybill: order.waybill,
        })
      }
      if (triesLeft(before) === 0) {
        throw new TuotouError('proof.code_locked', `no tries left at the code of ${order.waybill}`, {
          waybill: order.waybill,
          maxAttempts: DELIVERY_CODE_MAX_ATTEMPTS,
        })
      }
      // The slow hash runs outside the transaction (libuv's pool); the try is counted after, in one transaction
      // with its event, against the count as it is then: racing tries cannot pass the limit.
      const ok = await deliveryCodeMatches(before.check, code)
      const at = ctx.now().toISOString()
      let left = 0
      ctx.db.transaction(() => {
        const now = proofState(ctx.db, order)
        if (now.codeVerified || triesLeft(now) === 0) {
          throw new TuotouError('proof.code_locked', `no tries left at the code of ${order.waybill}`, {
            waybill: order.waybill,
            maxAttempts: DELIVERY_CODE_MAX_ATTEMPTS,
          })
        }
        const tries = now.tries + 1
        ctx.db.run('INSERT INTO proof_code_tries (order_id, attempt, try, ok, at) VALUES (?, ?, ?, ?, ?)', [
          orderId,
          order.attempt,
          tries,
          ok ? 1 : 0,
          at,
        ])
        appendEvent(ctx.db, {
          type: 'proof.code_checked',
          payload: { orderId, attempt: order.attempt, ok, tries },
          shiftId: order.shift_id,
          occurredAt: at,
        })
        left = triesLeft({ ...now, tries })
      })
      changed(orderId)
      return { ok, triesLeft: left, order: orderView(ctx.db, requireOrder(ctx.db, orderId)) }
    },

    overrideProof: ({ orderId, reason, note }) =>
      answer(() => {
        const order = requireInHand(ctx, orderId, { opened: true })
        const text = note && note.length > 0 ? note : null
        if ((reason === 'other' || reason === 'supervisor_approved') && !text) {
          throw new TuotouError('proof.note_required', 'say why (or which supervisor approved it)', {
            waybill: order.waybill,
            reason,
          })
        }
        const state = proofState(ctx.db, order)
        if (state.override) {
          throw new TuotouError('proof.already_overridden', `the proof of ${order.waybill} was already overridden`, {
            waybill: order.waybill,
          })
        }
        const missing = [...missingProof(state, 'handover'), ...missingProof(state, 'not_home')]
        const askedCall = state.policy.notHome.call
        if (missing.length === 0 && !askedCall) {
          throw new TuotouError('proof.nothing_to_override', `order ${order.waybill} needs no more proof`, {
            waybill: order.waybill,
          })
        }
        const waived: ProofKind[] = [...new Set(missing.flat())].sort()
        const at = ctx.now().toISOString()
        ctx.db.transaction(() => {
          ctx.db.run(
            'INSERT INTO proof_overrides (order_id, attempt, reason, note, waived, at) VALUES (?, ?, ?, ?, ?, ?)',
            [orderId, order.attempt, reason, text, JSON.stringify(waived), at],
          )
          appendEvent(ctx.db, {
            type: 'proof.overridden',
            payload: { orderId, attempt: order.attempt, reason, note: text, waived },
            shiftId: order.shift_id,
            occurredAt: at,
          })
        })
        changed(orderId)
        return orderView(ctx.db, requireOrder(ctx.db, orderId))
      }),

    captureEvidence: ({ orderId, kind, mime, data, strokes }) =>
      answer(() => {
        const order = requireInHand(ctx, orderId, { opened: true })
        const bytes = evidenceBytes(data, mime)
        const capturedAt = ctx.now().toISOString()
        // The file is on disk (fsynced, renamed) before the transaction that names it; if the transaction fails
        // the file goes, so no event ever names a missing file and no file outlives a refused capture.
        const stored = writeEvidenceFile(ctx.options.dataDir, bytes, mime)
        try {
          ctx.db.transaction(() => {
            recordEvidence(ctx.db, {
              order,
              kind,
              mime,
              stored,
              capturedAt,
              ...(strokes ? { strokes } : {}),
            })
          })
        } catch (error) {
          rmSync(join(evidenceDir(ctx.options.dataDir), stored.file), { force: true })
          throw error
        }
        changed(orderId)
        return orderView(ctx.db, requireOrder(ctx.db, orderId))
      }),
  }
}
