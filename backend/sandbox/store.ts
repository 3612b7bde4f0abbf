import { generateKeyPairSync, randomBytes } from 'node:crypto'
import { mkdirSync } from 'node:fs'
import { dirname, resolve } from 'node:path'
import Database from 'better-sqlite3'
import type { SandboxBehaviour } from '../../shared/api/sandbox'

/** Who the sandbox acquirer is, created on its first start and kept, so receipts and secrets survive restarts. */
export interface SandboxIdentity {
  acquirerId: string
  merchantId: string
  /** The merchant API key the backend calls it with. */
  apiKey: string
  /** The secret its notifications are signed with. */
  webhookSecret: string
  /** Ed25519 private key, PKCS#8 PEM. */
  privateKeyPem: string
  /** Ed25519 public key, raw 32 bytes base64url (a JWK's `x`). */
  publicKey: string
}

export interface SandboxIntentRow {
  intent_id: string
  key: string
  amount_fen: number
  status: 'pending' | 'paid' | 'cancelled'
  expires_at: string
  expires_ms: number
  merchant_name: string
  merchant_city: string
  waybill: string
  device_id: string
  qr_payload: string
  notify_url: string
  created_ms: number
}

export interface SandboxPaymentRow {
  transaction_id: string
  intent_id: string
  amount_fen: number
  paid_at: string
  wallet_id: string
  outcome: 'succeeded' | 'refused_duplicate'
  receipt: string | null
  created_ms: number
}

export interface SandboxNotificationRow {
  notification_id: string
  intent_id: string
  transaction_id: string
  type: 'payment.succeeded' | 'payment.duplicate_attempt'
  body: string
  notify_url: string
  status: 'pending' | 'delivered' | 'failed'
  attempts: number
  next_attempt_ms: number
  last_error: string | null
  created_ms: number
  delivered_ms: number | null
}

/** Notifications go out at once, once, in order: how a healthy acquirer behaves. */
export const DEFAULT_BEHAVIOUR: SandboxBehaviour = {
  notifyDelayMs: 0,
  duplicates: 0,
  outOfOrder: false,
  holdNotifications: false,
}

const SCHEMA = `
  create table if not exists identity (
    id integer primary key check (id = 1), acquirer_id text not null, merchant_id text not null,
    api_key text not null, webhook_secret text not null, private_key_pem text not null, public_key text not null);
  create table if not exists intents (
    intent_id text primary key, key text not null unique, amount_fen integer not null, status text not null,
    expires_at text not null, expires_ms integer not null, merchant_name text not null, merchant_city text not null,
    waybill text not null, device_id text not null, qr_payload text not null, notify_url text not null,
    created_ms integer not null);
  create table if not exists payments (
    transaction_id text primary key, intent_id text not null references intents(intent_id),
    amount_fen integer not null, paid_at text not null, wallet_id text not null, outcome text not null,
    receipt text, created_ms integer not null);
  create index if not exists payments_intent on payments(intent_id);
  create table if not exists notifications (
    notification_id text primary key, intent_id text not null, transaction_id text not null, type text not null,
    body text not null, notify_url text not null, status text not null, attempts integer not null,
    next_attempt_ms integer not null, last_error text, created_ms integer not null, delivered_ms integer);
  create index if not exists notifications_due on notifications(status, next_attempt_ms);
  create table if not exists behaviour (id integer primary key check (id = 1), json text not null);
`

/**
 * The sandbox acquirer's own state, in its own SQLite file: it shares nothing with the backend's database and
 * talks to the backend only over HTTP, as the real acquirer would.
 */
export class SandboxStore {
  readonly sqlite: Database.Database

  constructor(file: string, acquirerId = 'cn.ecny.sandbox', merchantId = 'JDL-SZ-0001') {
    const path = resolve(file)
    mkdirSync(dirname(path), { recursive: true })
    this.sqlite = new Database(path)
    this.sqlite.pragma('journal_mode = WAL')
    this.sqlite.pragma('synchronous = FULL')
    this.sqlite.pragma('busy_timeout = 5000')
    this.sqlite.exec(SCHEMA)
    if (!this.sqlite.prepare('select 1 from identity').get()) {
      const { privateKey, publicKey } = generateKeyPairSync('ed25519')
      const jwk = publicKey.export({ format: 'jwk' }) as { x: string }
      this.sqlite
        .prepare(
          `insert into identity (id, acquirer_id, merchant_id, api_key, webhook_secret, private_key_pem, public_key)
           values (1, ?, ?, ?, ?, ?, ?)`,
        )
        .run(
          acquirerId,
          merchantId,
          `sk_${randomBytes(24).toString('base64url')}`,
          `whsec_${randomBytes(32).toString('base64url')}`,
          privateKey.export({ format: 'pem', type: 'pkcs8' }).toString(),
          jwk.x,
        )
    }
  }

  identity(): SandboxIdentity {
    const row = this.sqlite.prepare('select * from identity').get() as Record<string, string>
    return {
      acquirerId: row.acquirer_id!,
      merchantId: row.merchant_id!,
      apiKey: row.api_key!,
      webhookSecret: row.webhook_secret!,
      privateKeyPem: row.private_key_pem!,
      publicKey: row.public_key!,
    }
  }

  behaviour(): SandboxBehaviour {
    const row = this.sqlite.prepare('select json from behaviour').get() as { json: string } | undefined
    return row ? { ...DEFAULT_BEHAVIOUR, ...(JSON.parse(row.json) as Partial<SandboxBehaviour>) } : DEFAULT_BEHAVIOUR
  }

  setBehaviour(behaviour: SandboxBehaviour): void {
    this.sqlite
      .prepare('insert into behaviour (id, json) values (1, ?) on conflict (id) do update set json = excluded.json')
      .run(JSON.stringify(behaviour))
  }

  intentById(intentId: string): SandboxIntentRow | undefined {
    return this.sqlite.prepare('select * from intents where intent_id = ?').get(intentId) as
      SandboxIntentRow | undefined
  }

  intentByKey(key: string): SandboxIntentRow | undefined {
    return this.sqlite.prepare('select * from intents where key = ?').get(key) as SandboxIntentRow | undefined
  }

  insertIntent(row: SandboxIntentRow): void {
    this.sqlite
      .prepare(
        `insert into intents (intent_id, key, amount_fen, status, expires_at, expires_ms, merchant_name, merchant_city,
           waybill, device_id, qr_payload, notify_url, created_ms)
         values (@intent_id, @key, @amount_fen, @status, @expires_at, @expires_ms, @merchant_name, @merchant_city,
           @waybill, @device_id, @qr_payload, @notify_url, @created_ms)`,
      )
      .run(row)
  }

  setIntentStatus(intentId: string, status: SandboxIntentRow['status']): void {
    this.sqlite.prepare('update intents set status = ? where intent_id = ?').run(status, intentId)
  }

  paymentsOf(intentId: string): SandboxPaymentRow[] {
    return this.sqlite
      .prepare('select * from payments where intent_id = ? order by created_ms, transaction_id')
      .all(intentId) as SandboxPaymentRow[]
  }

  insertPayment(row: SandboxPaymentRow): void {
    this.sqlite
      .prepare(
        `insert into payments (transaction_id, intent_id, amount_fen, paid_at, wallet_id, outcome, receipt, created_ms)
         values (@transaction_id, @intent_id, @amount_fen, @paid_at, @wallet_id, @outcome, @receipt, @created_ms)`,
      )
      .run(row)
  }

  insertNotification(row: SandboxNotificationRow): void {
    this.sqlite
      .prepare(
        `insert into notifications (notification_id, intent_id, transaction_id, type, body, notify_url, status,
           attempts, next_attempt_ms, last_error, created_ms, delivered_ms)
         values (@notification_id, @intent_id, @transaction_id, @type, @body, @notify_url, @status, @attempts,
           @next_attempt_ms, @last_error, @created_ms, @delivered_ms)`,
      )
      .run(row)
  }

  pendingNotifications(): SandboxNotificationRow[] {
    return this.sqlite
      .prepare(`select * from notifications where status = 'pending' order by created_ms, rowid`)
      .all() as SandboxNotificationRow[]
  }

  markDelivered(notificationId: string, attempts: number, nowMs: number): void {
    this.sqlite
      .prepare(
        `update notifications set status = 'delivered', attempts = ?, delivered_ms = ?, last_error = null
         where notification_id = ?`,
      )
      .run(attempts, nowMs, notificationId)
  }

  markRetry(notificationId: string, attempts: number, nextMs: number, error: string, failed: boolean): void {
    this.sqlite
      .prepare(
        `update notifications set status = ?, attempts = ?, next_attempt_ms = ?, last_error = ?
         where notification_id = ?`,
      )
      .run(failed ? 'failed' : 'pending', attempts, nextMs, error.slice(0, 500), notificationId)
  }

  notifications(intentId?: string): SandboxNotificationRow[] {
    return (
      intentId
        ? this.sqlite.prepare('select * from notifications where intent_id = ? order by created_ms desc, rowid desc')
        : this.sqlite.prepare('select * from notifications order by created_ms desc, rowid desc limit 500')
    ).all(...(intentId ? [intentId] : [])) as SandboxNotificationRow[]
  }

  /** Runs `work` in one IMMEDIATE transaction: a payment and its notification land together or not at all. */
  transaction<T>(work: () => T): T {
    return this.sqlite.transaction(work).immediate()
  }

  close(): void {
    this.sqlite.close()
  }
}
