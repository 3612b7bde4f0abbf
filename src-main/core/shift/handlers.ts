import { DEFAULT_UNDO_WINDOW_MS, LoginResponse } from '../../../shared/api/shift'
import type { ShiftOpenItems, ShiftSummary } from '../../../shared/ipc/contract'
import { TuotouError } from '../../../shared/errors'
import { answer, type CoreContext, type HandlersFor } from '../context'
import { formatFen } from '../../../shared/money'
import { emitDeviceStatus, requireActiveRoute, requireDevice, requireRoute } from '../device/status'
import { SHIFT_TOKEN } from '../device/store'
import { shiftCounters, shiftFlags } from '../manifest/views'
import { appendEvent, outboxStats } from '../outbox/store'
import { unverifiedAllowance } from '../payments/unverified'
import { shiftMoney } from './money'
import { openShift, shiftInfo, type ShiftRow } from './store'

export type ShiftHandlers = HandlersFor<'login' | 'getShiftSummary' | 'declareCash' | 'closeShift'>

/** What is still open on the shift: the end-of-shift confirmation lists it, and `closeShift` needs it confirmed. */
function openItems(ctx: CoreContext, shift: ShiftRow): ShiftOpenItems {
  const left = ctx.db.get<{ orders: number; stops: number }>(
    `SELECT COUNT(*) AS orders, COUNT(DISTINCT stop_id) AS stops FROM orders WHERE shift_id = ? AND status = 'pending'`,
    [shift.shift_id],
  )!
  const { cashFen } = shiftCounters(ctx.db, shift.shift_id)
  return {
    stopsLeft: left.stops,
    ordersLeft: left.orders,
    pendingEvents: outboxStats(ctx.db).pending,
    cashUndeclaredFen: shift.declared_cash_fen === null ? cashFen : 0,
  }
}

function summary(ctx: CoreContext, shift: ShiftRow): ShiftSummary {
  const counters = shiftCounters(ctx.db, shift.shift_id)
  const { total } = ctx.db.get<{ total: number }>('SELECT COUNT(*) AS total FROM orders WHERE shift_id = ?', [
    shift.shift_id,
  ])!
  return {
    shift: shiftInfo(shift),
    counters,
    stopsLeft: openItems(ctx, shift).stopsLeft,
    cashToHandInFen: counters.cashFen,
    declaredCashFen: shift.declared_cash_fen,
    declaredAt: shift.declared_at,
    ordersTotal: total,
    pendingEvents: outboxStats(ctx.db).pending,
    flags: shiftFlags(ctx.db, shift.shift_id),
    closedAt: shift.closed_at,
    unverified: unverifiedAllowance(ctx.db, shift),
    money: shiftMoney(ctx.db, shift.shift_id),
  }
}

export function shiftHandlers(ctx: CoreContext, onLoggedIn: () => void): ShiftHandlers {
  return {
    login: async ({ staffId, pin }) => {
      const { token } = requireDevice(ctx)
      const answer = await ctx.backend.request({
        method: 'POST',
        path: '/api/v1/shifts',
        body: { staffId, pin },
        token,
        response: LoginResponse,
      })
      const at = ctx.now().toISOString()
      ctx.db.transaction(() => {
        const previous = openShift(ctx.db)
        let carried: ShiftRow | null = null
        if (previous && previous.shift_id !== answer.shiftId) {
          ctx.db.run('UPDATE shifts SET closed_at = ? WHERE shift_id = ?', [at, previous.shift_id])
          if (previous.courier_id === answer.courier.courierId) {
            // The same courier again (a lapsed token): the backend opened a new shift for the same route. The
            // declaration carries over, and the manifest download moves the route's orders across.
            carried = previous
          } else {
            // Another courier takes the device over: the previous shift ends here, and says so.
            const { pending } = outboxStats(ctx.db)
            appendEvent(ctx.db, {
              type: 'shift.closed',
              payload: { forced: true, pendingCount: pending },
              shiftId: previous.shift_id,
              occurredAt: at,
            })
          }
        }
        ctx.db.run(
          `INSERT INTO shifts (shift_id, courier_id, staff_id, courier_name, depot_id, started_at, expires_at,
             unverified_per_order_fen, unverified_per_shift_fen, undo_window_ms)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
           ON CONFLICT (shift_id) DO UPDATE SET expires_at = excluded.expires_at, closed_at = NULL,
             unverified_per_order_fen = excluded.unverified_per_order_fen,
             unverified_per_shift_fen = excluded.unverified_per_shift_fen,
             undo_window_ms = excluded.undo_window_ms, moved_at = NULL, moved_to_device = NULL`,
          [
            answer.shiftId,
            answer.courier.courierId,
            answer.courier.staffId,
            answer.courier.name,
            answer.depotId,
            at,
            answer.expiresAt,
            answer.unverifiedLimits.perOrderFen,
            answer.unverifiedLimits.perShiftFen,
            answer.undoWindowMs ?? DEFAULT_UNDO_WINDOW_MS,
          ],
        )
        if (carried) {
          // The route moves across now, not when the new manifest arrives: a download cut short (no coverage, a
          // crash) must not leave the courier without a route. The download then merges into it.
          ctx.db.run(
            `UPDATE shifts SET declared_cash_fen = ?, declared_at = ?, route_date = ?, manifest_version = ?,
               manifest_generated_at = ?, acquirer_id = ?, receipt_public_key = ? WHERE shift_id = ?`,
            [
              carried.declared_cash_fen,
              carried.declared_at,
              carried.route_date,
              carried.manifest_version,
              carried.manifest_generated_at,
              carried.acquirer_id,
              carried.receipt_public_key,
              answer.shiftId,
            ],
          )
          ctx.db.run('UPDATE stops SET shift_id = ? WHERE shift_id = ?', [answer.shiftId, carried.shift_id])
          ctx.db.run('UPDATE orders SET shift_id = ? WHERE shift_id = ?', [answer.shiftId, carried.shift_id])
        }
      })
      ctx.credentials.write(SHIFT_TOKEN, answer.shiftToken)
      ctx.session.needsLogin = false
      ctx.doorstep.letGo()
      ctx.doorstep.closeUndo()
      ctx.outboxChanged()
      onLoggedIn()
      return emitDeviceStatus(ctx)
    },

    getShiftSummary: () => answer(() => summary(ctx, requireRoute(ctx))),

    declareCash: ({ declaredFen }) =>
      answer(() => {
        const shift = requireActiveRoute(ctx)
        const at = ctx.now().toISOString()
        const updated = ctx.db.transaction(() => {
          ctx.db.run('UPDATE shifts SET declared_cash_fen = ?, declared_at = ? WHERE shift_id = ?', [
            declaredFen,
            at,
            shift.shift_id,
          ])
          appendEvent(ctx.db, {
            type: 'shift.cash_declared',
            payload: { declaredFen },
            shiftId: shift.shift_id,
            occurredAt: at,
          })
          return openShift(ctx.db)!
        })
        ctx.outboxChanged()
        return summary(ctx, updated)
      }),

    closeShift: ({ confirmOpen }) =>
      answer(() => {
        // A shift that moved to another terminal is ended there; here it can still be closed, to log out.
        const shift = requireRoute(ctx)
        const open = openItems(ctx, shift)
        const anything = open.stopsLeft + open.pendingEvents + open.cashUndeclaredFen > 0
        if (anything && !confirmOpen) {
          throw new TuotouError(
            'shift.open_items',
            `still open: ${open.stopsLeft} stops, ${open.pendingEvents} events not sent, ` +
              `${formatFen(open.cashUndeclaredFen)} cash not declared`,
            { ...open, cashUndeclared: formatFen(open.cashUndeclaredFen) },
          )
        }
        const at = ctx.now().toISOString()
        ctx.db.transaction(() => {
          const changed = ctx.db.run('UPDATE shifts SET closed_at = ? WHERE shift_id = ? AND closed_at IS NULL', [
            at,
            shift.shift_id,
          ]).changes
          if (changed !== 1) throw new TuotouError('shift.none', 'the shift is closed already')
          appendEvent(ctx.db, {
            type: 'shift.closed',
            payload: {
              forced: anything,
              pendingCount: open.pendingEvents,
              stopsLeft: open.stopsLeft,
              cashUndeclaredFen: open.cashUndeclaredFen,
            },
            shiftId: shift.shift_id,
            occurredAt: at,
          })
        })
        ctx.doorstep.letGo()
        ctx.doorstep.closeUndo()
        ctx.doorstep.changed()
        // Queued events still go out with the device token; only the courier's session ends.
        ctx.credentials.remove(SHIFT_TOKEN)
        ctx.outboxChanged()
        return emitDeviceStatus(ctx)
      }),
  }
}
