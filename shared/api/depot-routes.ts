import { z } from 'zod'
import { Fen } from '../money'
import { CourierRef, RouteDay } from './dashboard'
import { OrderChangeResponse } from './depot'
import { CourierId, OrderId, StopId } from './ids'
import { OrderStatus } from './shift'

/**
 * A courier's route as the depot moves it: the day's orders in route order, each with whether a collection is in
 * progress (so it cannot move), and moving a run of them to another courier in one step.
 */

/**
 * Why an order cannot change hands now: a customer's code is being charged, the acquirer confirmed a payment the
 * delivery has not closed yet, or its QR was shown and can still be paid.
 */
export const CollectionInProgress = z.enum(['charge_open', 'paid_not_completed', 'qr_shown'])
export type CollectionInProgress = z.infer<typeof CollectionInProgress>

export const CourierRouteQuery = z.object({ date: RouteDay.optional() }).strict()

export const CourierRouteOrder = z.object({
  orderId: OrderId,
  stopId: StopId,
  sequence: z.number().int().min(0),
  waybill: z.string(),
  address: z.string(),
  codFen: Fen,
  status: OrderStatus,
  /** Set while a collection is in progress: reassigning it is refused with this reason. */
  collecting: CollectionInProgress.nullable(),
})
export type CourierRouteOrder = z.infer<typeof CourierRouteOrder>

/** `GET /api/v1/depot/routes/:courierId?date`. */
export const CourierRouteResponse = z.object({
  date: RouteDay,
  courier: CourierRef,
  orders: z.array(CourierRouteOrder),
})
export type CourierRouteResponse = z.infer<typeof CourierRouteResponse>

/** The most orders one reassignment moves: a long route's worth. */
export const MAX_REASSIGN_ORDERS = 200

/**
 * `POST /api/v1/depot/orders/reassign`: moves every order listed from `fromCourierId` to `toCourierId`, all or
 * none. Naming who has them now makes two supervisors moving the same order at once a conflict one of them loses.
 */
export const ReassignRunRequest = z
  .object({
    orderIds: z
      .array(OrderId)
      .min(1)
      .max(MAX_REASSIGN_ORDERS)
      .refine((ids) => new Set(ids).size === ids.length, 'each order once'),
    fromCourierId: CourierId,
    toCourierId: CourierId,
  })
  .strict()
export type ReassignRunRequest = z.infer<typeof ReassignRunRequest>

export const ReassignRunResponse = z.object({
  fromCourierId: CourierId,
  toCourierId: CourierId,
  orders: z.array(OrderChangeResponse),
})
export type ReassignRunResponse = z.infer<typeof ReassignRunResponse>

export const DEPOT_ROUTE_PATHS = {
  route: (courierId: string) => `/depot/routes/${encodeURIComponent(courierId)}`,
  reassign: '/depot/orders/reassign',
} as const
