import type { DeviceStatus } from '../../../shared/ipc/contract'
import { TuotouError } from '../../../shared/errors'
import type { CoreContext } from '../context'
import { openShift, shiftInfo, type ShiftRow } from '../shift/store'
import { DEVICE_TOKEN, requireInService, retirement, readDevice, SHIFT_TOKEN, type DeviceRow } from './store'

export function deviceStatus(ctx: CoreContext): DeviceStatus {
  const device = readDevice(ctx.db)
  const shift = device ? openShift(ctx.db) : null
  return {
    enrolled: device !== null && ctx.credentials.read(DEVICE_TOKEN) !== null,
    deviceId: device?.device_id ?? null,
    depotName: device?.depot_name ?? null,
    shift: shift ? shiftInfo(shift) : null,
    needsLogin: ctx.session.needsLogin || (shift !== null && ctx.credentials.read(SHIFT_TOKEN) === null),
    retired: device ? retirement(ctx) : null,
  }
}

export function emitDeviceStatus(ctx: CoreContext): DeviceStatus {
  const status = deviceStatus(ctx)
  ctx.events.emit('deviceStatus', status)
  return status
}

/** The enrolled device and its token, or `device.not_enrolled`. */
export function requireDevice(ctx: CoreContext): { device: DeviceRow; token: string } {
  const device = readDevice(ctx.db)
  const token = ctx.credentials.read(DEVICE_TOKEN)
  if (!device || !token) throw new TuotouError('device.not_enrolled', 'this device is not enrolled yet')
  return { device, token }
}

/** The open shift and the courier's token, or `shift.none` / `shift.login_required`. */
export function requireShift(ctx: CoreContext): { shift: ShiftRow; token: string } {
  const shift = openShift(ctx.db)
  if (!shift) throw new TuotouError('shift.none', 'no shift is open on this device; log in first')
  const token = ctx.credentials.read(SHIFT_TOKEN)
  if (!token) throw new TuotouError('shift.login_required', 'the courier must log in again')
  return { shift, token }
}

/** The open shift with its manifest on the device, or `manifest.not_loaded`. */
export function requireRoute(ctx: CoreContext): ShiftRow {
  const shift = openShift(ctx.db)
  if (!shift) throw new TuotouError('shift.none', 'no shift is open on this device; log in first')
  if (shift.manifest_version === null) {
    throw new TuotouError('manifest.not_loaded', 'the manifest has not been downloaded yet')
  }
  return shift
}

/**
 * The open shift with its manifest, for anything the courier does (a scan, a collection, a close): refused with
 * `shift.moved` once the shift continues on another terminal. Reads (the route, the summary) use `requireRoute`.
 */
export function requireActiveRoute(ctx: CoreContext): ShiftRow {
  requireInService(ctx)
  const shift = requireRoute(ctx)
  if (shift.moved_at !== null) {
    throw new TuotouError(
      'shift.moved',
      `this shift continues on another terminal${shift.moved_to_device ? ` (${shift.moved_to_device})` : ''}`,
      { deviceId: shift.moved_to_device, at: shift.moved_at },
    )
  }
  return shift
}
