import type { Kysely } from 'kysely'
import type { EnrollResponse } from '../../shared/api/device'
import type { LoginResponse, Manifest, ManifestOrder } from '../../shared/api/shift'
import type { BackendSchema } from '../db/schema'
import { EventWriter, type BackendApi } from './api'
import { createCourierWithRoute, type CourierRouteOptions, type CourierWithRoute } from './fixtures'

export interface LoggedInCourier {
  fixture: CourierWithRoute
  device: EnrollResponse
  shift: LoginResponse
  manifest: Manifest
  /** Writes this device's outbox events, sequence by sequence. */
  events: EventWriter
  /** The manifest order at position `index` (0-based, route order). */
  order(index: number): ManifestOrder
}

/**
 * The usual start of a test: a courier with a route, a device enrolled over HTTP with the fixture's code, a
 * shift logged in, and the manifest fetched (so every COD order has its intent).
 */
export async function loggedInCourier(
  server: { api: BackendApi; db: Kysely<BackendSchema> },
  options: CourierRouteOptions = {},
): Promise<LoggedInCourier> {
  const fixture = await createCourierWithRoute(server.db, options)
  const device = await server.api.enroll(fixture.enrollmentCode)
  const shift = await server.api.login(device.deviceToken, fixture.staffId, fixture.pin)
  const manifest = await server.api.manifest(shift.shiftToken, shift.shiftId)
  const orders = manifest.stops.flatMap((stop) => stop.orders)
  return {
    fixture,
    device,
    shift,
    manifest,
    events: new EventWriter(shift.shiftId),
    order: (index) => orders[index]!,
  }
}
