import { sql } from 'kysely'
import { StreamMessages, type StreamMessage, type StreamMessageName } from '../../shared/api/stream'
import type { BackendContext } from '../context'
import type { Trx } from '../db/connect'
import type { AfterCommit } from '../db/transaction'
import { traceStream } from './trace'

export interface StreamTarget {
  depotId: string
  deviceId: string
}

/**
 * Appends a message to a device's stream inside the transaction of the change it reports, with the next id of
 * that device's stream, and wakes the device's stream after the commit. The stored copy is what a device
 * resuming with `Last-Event-ID` is sent.
 */
export async function appendStreamMessage<N extends StreamMessageName>(
  context: Pick<BackendContext, 'hub' | 'now'>,
  trx: Trx,
  after: AfterCommit,
  target: StreamTarget,
  name: N,
  data: StreamMessage<N>,
): Promise<number> {
  const checked = StreamMessages[name].parse(data) as StreamMessage<N>
  const { last_seq } = await trx
    .insertInto('stream_cursors')
    .values({ device_id: target.deviceId, last_seq: 1 })
    .onConflict((conflict) =>
      conflict.column('device_id').doUpdateSet({ last_seq: sql<number>`stream_cursors.last_seq + 1` }),
    )
    .returning('last_seq')
    .executeTakeFirstOrThrow()
  await trx
    .insertInto('stream_messages')
    .values({
      device_id: target.deviceId,
      seq: last_seq,
      depot_id: target.depotId,
      name,
      data: JSON.stringify(checked),
      created_ms: context.now(),
    })
    .execute()
  await context.hub.announce(trx, target.depotId, target.deviceId)
  after(() => {
    traceStream('committed', target.deviceId, last_seq)
    context.hub.committed(target.depotId, target.deviceId)
  })
  return last_seq
}

/**
 * The device a message about a courier's order goes to: the device of that courier's newest shift that has
 * not been superseded, or null when the courier is not logged in anywhere.
 */
export async function deviceOfCourier(
  trx: Trx,
  courierId: string,
): Promise<(StreamTarget & { shiftId: string }) | null> {
  const shift = await trx
    .selectFrom('shifts')
    .select(['id', 'device_id', 'depot_id'])
    .where('courier_id', '=', courierId)
    .where('ended_ms', 'is', null)
    .orderBy('started_ms', 'desc')
    .limit(1)
    .executeTakeFirst()
  return shift ? { shiftId: shift.id, deviceId: shift.device_id, depotId: shift.depot_id } : null
}
