import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { openDeviceDb, type Migration } from './db'
import { deviceMigrations } from './migrations'

const tempFile = (): string => join(mkdtempSync(join(tmpdir(), 'tuotou-db-')), 'device.sqlite')
const create: Migration = {
  id: '1_items',
  sql: 'CREATE TABLE items (id INTEGER PRIMARY KEY, name TEXT NOT NULL) STRICT;',
}

describe('device database', () => {
  it('opens in WAL with synchronous=FULL, the durability the outbox relies on', () => {
    const db = openDeviceDb(tempFile(), deviceMigrations)
    expect(db.raw.pragma('journal_mode', { simple: true })).toBe('wal')
    expect(db.raw.pragma('synchronous', { simple: true })).toBe(2)
    expect(db.raw.pragma('foreign_keys', { simple: true })).toBe(1)
    db.close()
  })

  it('applies each migration once, across reopenings', () => {
    const file = tempFile()
    const second: Migration = { id: '2_more', sql: "INSERT INTO items (name) VALUES ('seeded');" }
    openDeviceDb(file, [create]).close()
    const db = openDeviceDb(file, [create, second])
    openDeviceDb(file, [create, second]).close()
    expect(db.all('SELECT name FROM items')).toEqual([{ name: 'seeded' }])
    db.close()
  })

  it('refuses to open when a shipped migration was edited', () => {
    const file = tempFile()
    openDeviceDb(file, [create]).close()
    const edited = { ...create, sql: create.sql.replace('name TEXT', 'label TEXT') }
    expect(() => openDeviceDb(file, [edited])).toThrow(/edited after it was applied/)
  })

  it('rolls a transaction back whole when it throws', () => {
    const db = openDeviceDb(tempFile(), [create])
    expect(() =>
      db.transaction(() => {
        db.run('INSERT INTO items (name) VALUES (?)', ['kept?'])
        throw new Error('crash mid-way')
      }),
    ).toThrow('crash mid-way')
    expect(db.all('SELECT * FROM items')).toEqual([])
    db.close()
  })

  it('keeps device migration ids unique, dated and in order', () => {
    const ids = deviceMigrations.map((migration) => migration.id)
    expect(new Set(ids).size).toBe(ids.length)
    for (const id of ids) expect(id).toMatch(/^\d{13}_[a-z0-9_]+$/)
    expect([...ids].sort()).toEqual(ids)
  })
})
