import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { hostname } from 'node:os'
import { join } from 'node:path'
import Database from 'better-sqlite3'
import { TuotouError } from '../../shared/errors'

/** Who holds a data folder, as its lock file names them. */
export interface LockOwner {
  pid: number
  host: string
  startedAt: string
}

export interface DataFolderLock {
  /** The owner this lock replaced because its process had died (kill -9, power loss), or null. */
  recovered: LockOwner | null
  release(): void
}

/** The file that names the owner, for the message a second core gets, and for people. */
export const LOCK_FILE = 'core.lock'
/** The file whose operating-system lock is the real claim: the kernel drops it when its process dies. */
const CLAIM_FILE = 'core.lock.db'

function readOwner(dataDir: string): LockOwner | null {
  try {
    const owner = JSON.parse(readFileSync(join(dataDir, LOCK_FILE), 'utf8')) as Partial<LockOwner>
    if (typeof owner.pid !== 'number') return null
    return { pid: owner.pid, host: String(owner.host ?? ''), startedAt: String(owner.startedAt ?? '') }
  } catch {
    return null
  }
}

/**
 * Claims a data folder for this core, so two cores (a second browser host, a second Electron) never act on one
 * device database: two outcomes for one order would follow. The claim is an exclusive SQLite lock held on
 * `core.lock.db` for the core's life; the operating system releases it when the process ends in any way, so a
 * lock left by kill -9 is recovered at the next start with no guessing about PIDs. `core.lock` names the owner
 * (PID, host, start), so a second core can say who holds the folder. Throws `core.data_in_use` when another
 * process, or another core in this one, holds it.
 */
export function lockDataFolder(dataDir: string, options: { nativeBinding?: string } = {}): DataFolderLock {
  mkdirSync(dataDir, { recursive: true })
  const previous = readOwner(dataDir)
  const claim = new Database(join(dataDir, CLAIM_FILE), {
    timeout: 0,
    ...(options.nativeBinding ? { nativeBinding: options.nativeBinding } : {}),
  })
  try {
    claim.pragma('journal_mode = DELETE')
    claim.pragma('locking_mode = EXCLUSIVE')
    // The first write under EXCLUSIVE locking mode takes the file's exclusive lock and keeps it until close.
    claim.exec('CREATE TABLE IF NOT EXISTS claim (id INTEGER PRIMARY KEY, pid INTEGER NOT NULL)')
    claim.prepare('INSERT OR REPLACE INTO claim (id, pid) VALUES (1, ?)').run(process.pid)
  } catch (error) {
    claim.close()
    const busy =
      error instanceof Error &&
      /SQLITE_BUSY|database is locked/i.test(`${(error as { code?: string }).code} ${error.message}`)
    if (!busy) throw error
    const who = previous
      ? `process ${previous.pid} on ${previous.host || 'this machine'}, since ${previous.startedAt}`
      : 'another process'
    throw new TuotouError(
      'core.data_in_use',
      `the data folder ${dataDir} is in use by another Tuotou terminal (${who}); close it, or start this one with its own --data folder`,
      { dataDir, pid: previous?.pid ?? null },
    )
  }
  const owner: LockOwner = { pid: process.pid, host: hostname(), startedAt: new Date().toISOString() }
  writeFileSync(join(dataDir, LOCK_FILE), `${JSON.stringify(owner)}\n`)
  const recovered = previous && previous.pid !== process.pid ? previous : null
  let held = true
  return {
    recovered,
    release() {
      if (!held) return
      held = false
      // A clean exit takes its name off the folder; a lock file found at start means the last owner died.
      if (readOwner(dataDir)?.pid === owner.pid) rmSync(join(dataDir, LOCK_FILE), { force: true })
      claim.close()
    },
  }
}
