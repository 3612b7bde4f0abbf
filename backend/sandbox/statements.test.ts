import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { readStatement } from '../statements/format'
import { sandboxStatement } from './statements'
import { SandboxStore } from './store'

describe("the sandbox acquirer's statement day", () => {
  const dir = mkdtempSync(join(tmpdir(), 'tuotou-sandbox-statement-'))
  const store = new SandboxStore(join(dir, 'acquirer.sqlite'))
  // Only the statement's query is under test here: payments stand alone, without the intents they would pay.
  store.sqlite.pragma('foreign_keys = OFF')
  afterAll(() => {
    store.sqlite.close()
    rmSync(dir, { recursive: true, force: true })
  })

  it('cuts the day by payment time in Asia/Shanghai: 00:10 there is the next day, 23:50 the same one', () => {
    const pay = (transactionId: string, iso: string) =>
      store.insertPayment({
        transaction_id: transactionId,
        intent_id: 'pi_dayCut0001',
        amount_fen: 1000,
        paid_at: new Date(Date.parse(iso)).toISOString(),
        wallet_id: 'wallet-day-cut',
        outcome: 'succeeded',
        receipt: null,
        created_ms: Date.parse(iso),
        charge_no: null,
      })
    // 2026-12-01 16:10 UTC is 2026-12-02 00:10 in Shanghai; 15:50 UTC is 23:50 on the 1st.
    pay('tx_lateEvening01', '2026-12-01T23:50:00+08:00')
    pay('tx_afterMidnight1', '2026-12-02T00:10:00+08:00')
    const key = store.identity().apiKey
    const ids = (date: string) => readStatement(sandboxStatement(store, date), key).lines.map((l) => l.transactionId)
    expect(ids('2026-12-01')).toEqual(['tx_lateEvening01'])
    expect(ids('2026-12-02')).toEqual(['tx_afterMidnight1'])
    expect(readStatement(sandboxStatement(store, '2026-12-02'), key).lines[0]!.time).toBe(
      '2026-12-02T00:10:00.000+08:00',
    )
  })
})
