/**
 * The backend's tables as Kysely sees them. Each table is added here with the migration that creates it.
 */
// eslint-disable-next-line @typescript-eslint/no-empty-object-type
export interface BackendSchema {}
