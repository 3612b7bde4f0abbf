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
 * any instance, hear of it once the transaction commits (within a second: the hub's `signal` sends one wake a
 * second per depot from each instance, and a dashboard refetches once a second anyway), and never if it rolls
 * back. Nothing is sent inside the transaction, so a heartbeat or an ingest batch never waits on PostgreSQL's
 * notification lock for a dashboard.
 */
export function announceDashboardChange(
  context: Pick<BackendContext, 'hub'>,
  _trx: Trx,
  after: AfterCommit,
  depotId: string,
): Promise<void> {
  after(() => context.hub.signal(depotId, dashboardTopic(depotId)))
  return Promise.resolve()
}
