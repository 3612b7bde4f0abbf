/**
 * Test fixtures for the backend, for its own tests and for the terminal, offline and round-runner work:
 * real backends (in-process or as a process) on fresh databases, data builders, an API client, and a stream
 * reader. See backend/README.md.
 */
export { ApiCallError, BackendApi, EventWriter, openStream, type StreamMessage, type StreamReader } from './api'
export {
  freshDatabase,
  spawnBackend,
  startTestBackend,
  type SpawnedBackend,
  type SpawnOptions,
  type TestBackend,
  type TestBackendOptions,
} from './backend'
export { loggedInCourier, type LoggedInCourier } from './courier'
export { databasesUnderTest, type DatabaseUnderTest } from './databases'
export {
  createCourier,
  createCourierWithRoute,
  createDepot,
  createDevice,
  createRoute,
  createSupervisor,
  createSupervisorLogin,
  freshStaffId,
  type CourierRouteOptions,
  type CourierWithRoute,
  type OrderSpec,
  type StopSpec,
} from './fixtures'
export { startEmbeddedPostgres, type EmbeddedPostgres } from './embedded-postgres'
export {
  createFleet,
  postPaymentNotification,
  StreamFleet,
  type FleetDevice,
  type FleetMessage,
  type FleetOptions,
  type HeldStream,
  type StreamFleetOptions,
} from './fleet'
export { postgresTarget } from './postgres'
export { snapshotTables } from './snapshot'
export {
  DashboardClient,
  openDashboardStream,
  supervisorSession,
  type DashboardStreamReader,
  type SupervisorSessionFixture,
} from './dashboard'
