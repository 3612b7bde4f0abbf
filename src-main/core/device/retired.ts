import type { CoreContext } from '../context'
import { emitDeviceStatus } from './status'

/**
 * The backend said this device is retired (a 401 `device.retired` to any call, or the stream's last `device`
 * message). Kept on disk, so a restart still knows; the sync engine sends nothing more and every courier action is
 * refused. The outbox is left exactly as it is: what was not sent stays on the device, counted on its screen.
 */
export function markRetired(ctx: CoreContext, at: string, by: string | null): void {
  const changed = ctx.db.run('UPDATE device SET retired_at = ?, retired_by = ? WHERE id = 1 AND retired_at IS NULL', [
    at,
    by,
  ]).changes
  if (changed === 0) return
  ctx.payments.stopAll()
  ctx.doorstep.letGo()
  ctx.doorstep.closeUndo()
  ctx.doorstep.changed()
  emitDeviceStatus(ctx)
}
