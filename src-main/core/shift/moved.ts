import type { CoreContext } from '../context'
import { emitDeviceStatus } from '../device/status'
import { openShift } from './store'

/**
 * The courier logged in on another terminal, so this device's shift continues there (a device swap). Learned from
 * the stream's `shift` message, or from any answer `shift.moved` to this shift's token. From then on the device
 * sends what it still holds (device token) and refuses new actions for the shift, saying why; logging in here
 * again takes the shift back. Changes nothing when the shift is not this device's open one, or already moved.
 */
export function markShiftMoved(ctx: CoreContext, shiftId: string | null, toDeviceId: string | null, at: string): void {
  const shift = openShift(ctx.db)
  if (!shift || (shiftId !== null && shift.shift_id !== shiftId)) return
  const changed = ctx.db.run(
    'UPDATE shifts SET moved_at = ?, moved_to_device = ? WHERE shift_id = ? AND moved_at IS NULL',
    [at, toDeviceId, shift.shift_id],
  ).changes
  if (changed === 0) return
  ctx.payments.stopAll()
  ctx.doorstep.letGo()
  ctx.doorstep.closeUndo()
  ctx.doorstep.changed()
  emitDeviceStatus(ctx)
}
