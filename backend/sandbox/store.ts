import { generateKeyPairSync, randomBytes } from 'node:crypto'
import { mkdirSync } from 'node:fs'
import { dirname, resolve } from 'node:path'
import Database from 'better-sqlite3'
import type { AcquirerNotification, AcquirerNotificationType } from '../../shared/api/acquirer'
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
  merchant_name_zh: string | null
  merchant_city_zh: string | null
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
  /** The merchant's charge number, for a payment taken by charging a customer's code. */
  charge_no: string | null
}

export interface SandboxNotificationRow {
  notification_id: string
  intent_id: string
  transaction_id: string
  type: AcquirerNotificationType
  body: string
  notify_url: string
  status: 'pending' | 'delivered' | 'failed'
  attempts: number
  next_attempt_ms: number
  last_error: string | null
  created_ms: number
  delivered_ms: number | null
}

/** Notifications go out at once, once, in order, and everything answers: how a healthy acquirer behaves. */
export const DEFAULT_BEHAVIOUR: SandboxBehaviour = {
  notifyDelayMs: 0,
  duplicates: 0,
  outOfOrder: false,
  holdNotifications: false,
  outage: false,
  queryDelayMs: 0,
  dropChargeAnswers: false,
  revokeRace: false,
  refundDelayMs: 0,
  refundOutcome: 'succeed',
  feeBp: 6,
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
 * Later steps of the sandbox's own file, by \`user_version\`: a file an older sandbox wrote is brought up to date at
 * start and keeps its intents, payments and notifications.
 */
const STEPS: readonly string[] = [
  // 1: Chinese merchant name and city (tag 64), payments taken by charging a customer's code, wallets with their
  // payment codes, charges and refunds.
  `
  alter table intents add column merchant_name_zh text;
  alter table intents add column merchant_city_zh text;
  alter table payments add column charge_no text;
  create table wallets (wallet_id text primary key, json text not null, created_ms integer not null);
  create table payment_codes (
    code text primary key, wallet_id text not null, issued_ms integer not null, expires_ms integer not null,
    used_ms integer);
  create index payment_codes_wallet on payment_codes(wallet_id, issued_ms);
  create table charges (
    charge_no text primary key, intent_id text not null, wallet_id text, code text not null,
    amount_fen integer not null, status text not null, failure text, limit_fen integer, transaction_id text,
    paid_at text, notify_url text not null, created_ms integer not null, pay_at_ms integer,
    pin_attempts integer not null default 0, revoked_ms integer, race_pay_at_ms integer);
  create index charges_wallet on charges(wallet_id, created_ms);
  create index charges_due on charges(status, pay_at_ms);
  create table refunds (
    refund_no text primary key, transaction_id text not null, intent_id text not null, amount_fen integer not null,
    status text not null, failure text, settled_at text, settled_ms integer, attempts integer not null,
    due_ms integer not null, notify_url text not null, created_ms integer not null);
  create index refunds_transaction on refunds(transaction_id);
  create index refunds_due on refunds(status, due_ms);
  `,
]

/**
 * The sandbox acquirer's own state, in its own SQLite file: it shares nothing with the backend's database and
 * talks to the backend only over HTTP, as the real acquirer would.
 */
export class SandboxStore {
  readonly sqlite: Database.Database
  /** When each merchant query arrived, by what it asked about (intent, charge or refund): kept for tests and rounds. */
  readonly queries = new Map<string, number[]>()

  constructor(file: string, acquirerId = 'cn.ecny.sandbox', merchantId = 'JDL-SZ-0001') {
    const path = resolve(file)
    mkdirSync(dirname(path), { recursive: true })
    this.sqlite = new Database(path)
    this.sqlite.pragma('journal_mode = WAL')
    this.sqlite.pragma('synchronous = FULL')
    this.sqlite.pragma('busy_timeout = 5000')
    this.sqlite.exec(SCHEMA)
    const version = this.sqlite.pragma('user_version', { simple: true }) as number
    for (let step = version; step < STEPS.length; step++) {
      this.sqlite.transaction(() => {
        this.sqlite.exec(STEPS[step]!)
        this.sqlite.pragma(`user_version = ${step + 1}`)
      })()
    }
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
           merchant_name_zh, merchant_city_zh, waybill, device_id, qr_payload, notify_url, created_ms)
         values (@intent_id, @key, @amount_fen, @status, @expires_at, @expires_ms, @merchant_name, @merchant_city,
           @merchant_name_zh, @merchant_city_zh, @waybill, @device_id, @qr_payload, @notify_url, @created_ms)`,
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
        `insert into payments (transaction_id, intent_id, amount_fen, paid_at, wallet_id, outcome, receipt, created_ms,
           charge_no)
         values (@transaction_id, @intent_id, @amount_fen, @paid_at, @wallet_id, @outcome, @receipt, @created_ms,
           @charge_no)`,
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

  /** Queues a signed notification for the notifier, after the behaviour's delay; call inside the change's transaction. */
  enqueue(notification: AcquirerNotification, notifyUrl: string, nowMs: number): void {
    this.insertNotification({
      notification_id: notification.notificationId,
      intent_id: notification.intentId,
      transaction_id: notification.transactionId,
      type: notification.type,
      body: JSON.stringify(notification),
      notify_url: notifyUrl,
      status: 'pending',
      attempts: 0,
      next_attempt_ms: nowMs + this.behaviour().notifyDelayMs,
      last_error: null,
      created_ms: nowMs,
      delivered_ms: null,
    })
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

  /** Notes a merchant query about `id` (an intent, charge or refund) at `nowMs`. */
  noteQuery(id: string, nowMs: number): void {
    const times = this.queries.get(id) ?? []
    times.push(nowMs)
    if (times.length > 1_000) times.shift()
    this.queries.set(id, times)
  }

  /** Runs `work` in one IMMEDIATE transaction: a payment and its notification land together or not at all. */
  transaction<T>(work: () => T): T {
    return this.sqlite.transaction(work).immediate()
  }

  close(): void {
    this.sqlite.close()
  }
}
