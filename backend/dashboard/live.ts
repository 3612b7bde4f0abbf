import type { BackendContext } from '../context'
import type { Trx } from '../db/connect'
import type { AfterCommit } from '../db/transaction'

/**
 * The key the stream hub wakes a depot's dashboards by. It shares the hub with device streams: on PostgreSQL
 * it travels as the payload of the depot's NOTIFY channel (IDs only), which no device's stream listens for.
 */
export const dashboardTopic = (depotId: string): string => `dashboard:${depotId}`

/**
 * Inside a transaction that changed something a depot's dashboard shows: the dashboards open on that depot, on
 * any instance, hear of it once the transaction commits, and never if it rolls back.
 */
export async function announceDashboardChange(
  context: Pick<BackendContext, 'hub'>,
  trx: Trx,
  after: AfterCommit,
  depotId: string,
): Promise<void> {
  const topic = dashboardTopic(depotId)
  await context.hub.announce(trx, depotId, topic)
  after(() => context.hub.committed(depotId, topic))
}
