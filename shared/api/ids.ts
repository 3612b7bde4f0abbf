import { z } from 'zod'

/** Identifiers are a short lower-case kind prefix and a random or sequential body: `ord_4fK9…`, `pi_…`. */
const id = (prefix: string) =>
  z.string().regex(new RegExp(`^${prefix}_[A-Za-z0-9]{4,40}$`), `must be an id like ${prefix}_…`)

export const DepotId = id('dep')
export const CourierId = id('cou')
export const SupervisorId = id('sup')
export const DeviceId = id('dev')
export const ShiftId = id('shf')
export const StopId = id('stp')
export const OrderId = id('ord')
export const ParcelId = id('par')
export const IntentId = id('pi')
export const TransactionId = id('tx')
export const NotificationId = id('ntf')

/** A staff number as printed on a courier's badge, e.g. `SZ1001`. */
export const StaffId = z.string().regex(/^[A-Z]{2}\d{3,8}$/, 'must be a staff ID like SZ1001')
/** A courier's PIN: four to eight digits. */
export const Pin = z.string().regex(/^\d{4,8}$/, 'must be 4 to 8 digits')

/** A time as ISO 8601 with its offset: what the courier did and when. */
export const Timestamp = z.iso.datetime({ offset: true })
