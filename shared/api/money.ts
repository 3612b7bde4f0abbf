import { DashboardDayQuery } from './dashboard'

/**
 * `GET /api/v1/depot/dashboard/money?date`: the route day in the depot's time zone (today unless asked); the answer
 * is `MoneyDayResponse` (`closure.ts`). Kept apart from `closure.ts`, which `stream.ts` (and so `dashboard.ts`) reads.
 */
export const MoneyDayQuery = DashboardDayQuery
