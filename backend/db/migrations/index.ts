import type { Migration } from 'kysely'
import { logistics } from './1795800000000_logistics'
import { dashboard } from './1795900000000_dashboard'
import { streamRetention } from './1796000000000_stream_retention'
import { loginAttempts } from './1796100000000_login_attempts'
import { courierTime } from './1796200000000_courier_time'
import { intentWithdrawals } from './1796300000000_intent_withdrawals'
import { deviceGaps } from './1796400000000_device_gaps'
import { callsAndStops } from './1796450000000_calls_and_stops'
import { closure } from './1796500000000_closure'
import { proof } from './1796600000000_proof'
import { attentionResolutions } from './1796700000000_attention_resolutions'
import { evidence } from './1796810000000_evidence'
import { deviceRetire } from './1796820000000_device_retire'
import { courierTargets } from './1796820100000_courier_targets'
import { dayClose } from './1796830000000_day_close'
import { statementImports } from './1796840000000_statement_imports'
import { splitPayments } from './1796900000000_split_payments'
import { evidenceOrphans } from './1796920000000_evidence_orphans'
import { ingestWrites } from './1797000000000_ingest_writes'

/**
 * Every backend schema step by id (`<epochms>_<description>`), oldest first. Append only: a shipped migration
 * is never edited. Steps use Kysely's schema builder so they run on SQLite and PostgreSQL alike.
 */
export const backendMigrations: Record<string, Migration> = {
  '1795800000000_logistics': logistics,
  '1795900000000_dashboard': dashboard,
  '1796000000000_stream_retention': streamRetention,
  '1796100000000_login_attempts': loginAttempts,
  '1796200000000_courier_time': courierTime,
  '1796300000000_intent_withdrawals': intentWithdrawals,
  '1796400000000_device_gaps': deviceGaps,
  '1796450000000_calls_and_stops': callsAndStops,
  '1796500000000_closure': closure,
  '1796600000000_proof': proof,
  '1796700000000_attention_resolutions': attentionResolutions,
  '1796810000000_evidence': evidence,
  '1796820000000_device_retire': deviceRetire,
  '1796820100000_courier_targets': courierTargets,
  '1796830000000_day_close': dayClose,
  '1796840000000_statement_imports': statementImports,
  '1796900000000_split_payments': splitPayments,
  '1796920000000_evidence_orphans': evidenceOrphans,
  '1797000000000_ingest_writes': ingestWrites,
}
