import { Manifest } from '../../../shared/api/shift'
import type { ManifestProgress } from '../../../shared/ipc/contract'
import { TuotouError } from '../../../shared/errors'
import type { CoreContext } from '../context'
import { emitDeviceStatus, requireShift } from '../device/status'
import { applyIntentUpdate } from '../payments/apply'
import { openShift } from '../shift/store'
import { storeManifest } from './store'

const progress = (patch: Partial<ManifestProgress> & Pick<ManifestProgress, 'phase'>): ManifestProgress => ({
  percent: 0,
  receivedBytes: 0,
  totalBytes: null,
  stops: 0,
  orders: 0,
  errorCode: null,
  ...patch,
})

/**
 * Downloads the shift's manifest and stores it, pushing progress as bytes arrive: the download is 90% of the
 * bar, storing the rest. Used at shift start and again when the stream says the route changed.
 */
export async function downloadManifest(ctx: CoreContext): Promise<ManifestProgress> {
  const { shift, token } = requireShift(ctx)
  let lastPercent = -1
  let receivedBytes = 0
  let totalBytes: number | null = null
  const emit = (value: ManifestProgress): ManifestProgress => {
    ctx.events.emit('manifestProgress', value)
    return value
  }
  emit(progress({ phase: 'downloading' }))
  let manifest: Manifest
  try {
    manifest = await ctx.backend.request({
      method: 'GET',
      path: `/api/v1/shifts/${encodeURIComponent(shift.shift_id)}/manifest`,
      token,
      response: Manifest,
      timeoutMs: 60_000,
      onProgress: (received, total) => {
        receivedBytes = received
        totalBytes = total
        // Without a length the bar creeps towards 90% so the courier still sees it move.
        const fraction = total ? received / total : 1 - 1 / (1 + received / 20_000)
        const percent = Math.min(90, Math.floor(fraction * 90))
        if (percent !== lastPercent) {
          lastPercent = percent
          emit(progress({ phase: 'downloading', percent, receivedBytes: received, totalBytes: total }))
        }
      },
    })
  } catch (error) {
    const code = error instanceof TuotouError ? error.code : 'internal'
    emit(progress({ phase: 'failed', percent: Math.max(0, lastPercent), receivedBytes, totalBytes, errorCode: code }))
    throw error
  }
  if (manifest.shiftId !== shift.shift_id) {
    emit(progress({ phase: 'failed', receivedBytes, totalBytes, errorCode: 'manifest.wrong_shift' }))
    throw new TuotouError('manifest.wrong_shift', `the backend sent the manifest of ${manifest.shiftId}`)
  }
  emit(progress({ phase: 'storing', percent: 90, receivedBytes, totalBytes }))
  const stored = storeManifest(ctx.db, openShift(ctx.db)!, manifest, ctx.now().toISOString())
  for (const intent of stored.paidIntents) applyIntentUpdate(ctx, intent, 'poll')
  if (stored.changedOrderIds.length > 0) ctx.events.emit('routeChanged', { orderIds: stored.changedOrderIds })
  ctx.doorstep.recheck()
  emitDeviceStatus(ctx)
  return emit(
    progress({
      phase: 'done',
      percent: 100,
      receivedBytes,
      totalBytes,
      stops: stored.stops,
      orders: stored.orders,
    }),
  )
}
