import { z } from 'zod'

/** `GET /api/v1/health`: whether the backend and its database answer. */
export const HealthResponse = z.object({
  status: z.literal('ok'),
  version: z.string(),
  database: z.enum(['sqlite', 'postgres']),
})
export type HealthResponse = z.infer<typeof HealthResponse>
