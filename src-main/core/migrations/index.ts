import type { Migration } from '../db'
import settings from './1795723723438_settings'
import outbox from './1795724400000_outbox'
import route from './1795810000000_route'
import offline from './1795900000000_offline'
import rejectedSeen from './1796000000000_rejected_seen'
import doorstep from './1796100000000_doorstep'
import clockOffset from './1796200000000_clock_offset'
import routeAndCalls from './1796300000000_route_and_calls'
import proof from './1796600000000_proof'
import flagResolved from './1796700000000_flag_resolved'
import charges from './1796800000000_charges'
import evidence from './1796810000000_evidence'
import deviceRetired from './1796820000000_device_retired'
import splits from './1796900000000_splits'
import splitMethod from './1796900100000_split_method'
import refunds from './1796910000000_refunds'
import orphansReported from './1796920000000_orphans_reported'

/** Every device schema step, oldest first. Append only: a shipped migration is never edited. */
export const deviceMigrations: readonly Migration[] = [
  settings,
  outbox,
  route,
  offline,
  rejectedSeen,
  doorstep,
  clockOffset,
  routeAndCalls,
  proof,
  flagResolved,
  charges,
  evidence,
  deviceRetired,
  splits,
  splitMethod,
  refunds,
  orphansReported,
]
