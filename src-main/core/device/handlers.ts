import { EnrollResponse } from '../../../shared/api/device'
import { TuotouError } from '../../../shared/errors'
import { answer, type CoreContext, type HandlersFor } from '../context'
import { deviceStatus, emitDeviceStatus } from './status'
import { DEVICE_TOKEN, readDevice, saveDevice } from './store'

export type DeviceHandlers = HandlersFor<'getDeviceStatus' | 'enrollDevice' | 'reportBattery'>

export function deviceHandlers(ctx: CoreContext, onEnrolled: () => void): DeviceHandlers {
  return {
    getDeviceStatus: () => answer(() => deviceStatus(ctx)),
    // Kept in memory only: the renderer reports it again on start and on every change.
    reportBattery: (battery) =>
      answer(() => {
        ctx.session.battery = battery
        return {}
      }),
    enrollDevice: async ({ code, label }) => {
      if (readDevice(ctx.db) && ctx.credentials.read(DEVICE_TOKEN)) {
        throw new TuotouError('device.already_enrolled', 'this device is enrolled already')
      }
      const enrolled = await ctx.backend.request({
        method: 'POST',
        path: '/api/v1/devices/enroll',
        body: label ? { code, label } : { code },
        response: EnrollResponse,
      })
      // The token first: a device row without its token would claim an enrollment it cannot use.
      ctx.credentials.write(DEVICE_TOKEN, enrolled.deviceToken)
      saveDevice(ctx.db, {
        device_id: enrolled.deviceId,
        depot_id: enrolled.depotId,
        depot_name: enrolled.depotName,
        label: label ?? null,
        enrolled_at: ctx.now().toISOString(),
      })
      onEnrolled()
      return emitDeviceStatus(ctx)
    },
  }
}
