import { randomInt } from 'node:crypto'
import type { ChargeFailure } from '../../shared/api/acquirer'
import { SandboxWalletSettings, WALLET_LIMITS, type SandboxWalletSettings as Settings } from '../../shared/api/sandbox'
import { SANDBOX_CODE_LENGTH, SANDBOX_CODE_PREFIX } from '../../shared/payment-code'
import type { SandboxStore } from './store'

/** A payment code is good for this long after the wallet shows it, and for one charge. */
export const PAYMENT_CODE_TTL_MS = 60_000
/** Wrong PINs before a charge is refused for good. */
export const PIN_ATTEMPTS = 3

const DAY_MS = 24 * 3600_000
/** Asia/Shanghai is UTC+8 all year: a wallet's day (and a statement's) starts at 16:00 UTC. */
const SHANGHAI_OFFSET_MS = 8 * 3600_000

/** The [start, end) of the Asia/Shanghai day holding `ms`. */
export function shanghaiDay(ms: number): { startMs: number; endMs: number; date: string } {
  const startMs = Math.floor((ms + SHANGHAI_OFFSET_MS) / DAY_MS) * DAY_MS - SHANGHAI_OFFSET_MS
  return { startMs, endMs: startMs + DAY_MS, date: new Date(startMs + SHANGHAI_OFFSET_MS).toISOString().slice(0, 10) }
}

/** The [start, end) of an Asia/Shanghai date, `YYYY-MM-DD`. */
export function shanghaiDate(date: string): { startMs: number; endMs: number } {
  const startMs = Date.parse(`${date}T00:00:00+08:00`)
  return { startMs, endMs: startMs + DAY_MS }
}

export interface PaymentCodeRow {
  code: string
  wallet_id: string
  issued_ms: number
  expires_ms: number
  used_ms: number | null
}

/** A wallet's settings; one nobody set up is tier 2 with a large balance and no PIN. */
export function walletSettings(store: SandboxStore, walletId: string): Settings {
  const row = store.sqlite.prepare('select json from wallets where wallet_id = ?').get(walletId) as
    { json: string } | undefined
  return SandboxWalletSettings.parse(row ? JSON.parse(row.json) : {})
}

export function saveWallet(store: SandboxStore, walletId: string, settings: Settings, nowMs: number): void {
  store.sqlite
    .prepare(
      `insert into wallets (wallet_id, json, created_ms) values (?, ?, ?)
       on conflict (wallet_id) do update set json = excluded.json, created_ms = excluded.created_ms`,
    )
    .run(walletId, JSON.stringify(settings), nowMs)
}

/** What the wallet paid today (Asia/Shanghai), fen: the per-day limit counts it. */
export function spentToday(store: SandboxStore, walletId: string, nowMs: number): number {
  const { startMs, endMs } = shanghaiDay(nowMs)
  const row = store.sqlite
    .prepare(
      `select coalesce(sum(amount_fen), 0) as fen from payments
       where wallet_id = ? and outcome = 'succeeded' and created_ms >= ? and created_ms < ?`,
    )
    .get(walletId, startMs, endMs) as { fen: number }
  return row.fen
}

/** The wallet's balance now: what it was last set to, less what it paid since. */
export function balanceOf(store: SandboxStore, walletId: string): number {
  const settings = walletSettings(store, walletId)
  const set = store.sqlite.prepare('select created_ms from wallets where wallet_id = ?').get(walletId) as
    { created_ms: number } | undefined
  const row = store.sqlite
    .prepare(
      `select coalesce(sum(amount_fen), 0) as fen from payments
       where wallet_id = ? and outcome = 'succeeded' and created_ms >= ?`,
    )
    .get(walletId, set?.created_ms ?? 0) as { fen: number }
  return Math.max(0, settings.balanceFen - row.fen)
}

/**
 * Whether the wallet may pay `amountFen` now: its explicit failure, then its tier's limits (per payment, per day),
 * then its balance. Null when it may.
 */
export function walletRefusal(
  store: SandboxStore,
  walletId: string,
  amountFen: number,
  nowMs: number,
): { failure: ChargeFailure; limitFen: number | null } | null {
  const settings = walletSettings(store, walletId)
  if (settings.fail === 'user_cancelled') return { failure: 'user_cancelled', limitFen: null }
  const limits = WALLET_LIMITS[settings.tier]
  if (limits.perPaymentFen !== null && amountFen > limits.perPaymentFen) {
    return { failure: 'limit_per_payment', limitFen: limits.perPaymentFen }
  }
  if (limits.perDayFen !== null && spentToday(store, walletId, nowMs) + amountFen > limits.perDayFen) {
    return { failure: 'limit_per_day', limitFen: limits.perDayFen }
  }
  if (settings.fail === 'insufficient_balance' || balanceOf(store, walletId) < amountFen) {
    return { failure: 'insufficient_balance', limitFen: null }
  }
  return null
}

/**
 * The wallet's current payment code: the one it shows while it is fresh and unused, else a new one (the old one
 * can no longer be charged). `fresh` asks for a new one whatever (the customer tapped "refresh").
 */
export function currentPaymentCode(
  store: SandboxStore,
  walletId: string,
  nowMs: number,
  fresh = false,
): PaymentCodeRow {
  const latest = store.sqlite
    .prepare('select * from payment_codes where wallet_id = ? order by issued_ms desc, rowid desc limit 1')
    .get(walletId) as PaymentCodeRow | undefined
  if (!fresh && latest && latest.used_ms === null && latest.expires_ms > nowMs) return latest
  for (;;) {
    const digits = Array.from({ length: SANDBOX_CODE_LENGTH - SANDBOX_CODE_PREFIX.length }, () => randomInt(10))
    const row: PaymentCodeRow = {
      code: `${SANDBOX_CODE_PREFIX}${digits.join('')}`,
      wallet_id: walletId,
      issued_ms: nowMs,
      expires_ms: nowMs + PAYMENT_CODE_TTL_MS,
      used_ms: null,
    }
    const inserted = store.sqlite
      .prepare(
        `insert into payment_codes (code, wallet_id, issued_ms, expires_ms, used_ms)
         values (@code, @wallet_id, @issued_ms, @expires_ms, @used_ms) on conflict (code) do nothing`,
      )
      .run(row)
    if (inserted.changes === 1) {
      // Showing a new code retires the one before: a wallet has one live code at a time.
      store.sqlite
        .prepare('update payment_codes set expires_ms = ? where wallet_id = ? and code != ? and expires_ms > ?')
        .run(nowMs, walletId, row.code, nowMs)
      return row
    }
  }
}

/**
 * Takes a code for a charge: the wallet it belongs to, or why it cannot be charged (unknown, used, expired). It is
 * used up either way, as a real code is once a merchant has submitted it.
 */
export function takePaymentCode(
  store: SandboxStore,
  code: string,
  nowMs: number,
): { walletId: string } | { failure: 'code_unknown' | 'code_used' | 'code_expired' } {
  const row = store.sqlite.prepare('select * from payment_codes where code = ?').get(code) as PaymentCodeRow | undefined
  if (!row) return { failure: 'code_unknown' }
  if (row.used_ms !== null) return { failure: 'code_used' }
  store.sqlite.prepare('update payment_codes set used_ms = ? where code = ?').run(nowMs, code)
  if (row.expires_ms <= nowMs) return { failure: 'code_expired' }
  return { walletId: row.wallet_id }
}
