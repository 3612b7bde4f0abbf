import { createHash, randomUUID } from 'node:crypto'
import {
  closeSync,
  fsyncSync,
  mkdirSync,
  openSync,
  readdirSync,
  renameSync,
  rmSync,
  statSync,
  writeSync,
} from 'node:fs'
import { join } from 'node:path'
import {
  MAX_EVIDENCE_BYTES,
  MAX_ORPHANS_PER_HEARTBEAT,
  type EvidenceKind,
  type EvidenceMime,
  type EvidenceOrphanReport,
} from '../../../shared/api/evidence'
import { TuotouError } from '../../../shared/errors'
import type { DeviceDb } from '../db'
import { appendEvent } from '../outbox/store'

/** The folder under the data folder where evidence files live until the backend has confirmed them. */
export const evidenceDir = (dataDir: string): string => join(dataDir, 'evidence')

const TEMP_PREFIX = '.tmp-'
const EXTENSION: Record<EvidenceMime, string> = { 'image/jpeg': 'jpg', 'image/png': 'png' }
const FILE_NAME = /^([0-9a-f-]{36})\.(jpg|png)$/

/** Whether the bytes start as the image type says: JPEG's SOI marker, PNG's eight-byte signature. */
export function imageMagicMatches(bytes: Uint8Array, mime: EvidenceMime): boolean {
  if (mime === 'image/jpeg') return bytes.length > 3 && bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff
  const png = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]
  return bytes.length > png.length && png.every((b, i) => bytes[i] === b)
}

/** Decodes and checks a captured file's bytes: base64, within the size limit, and really the image type named. */
export function evidenceBytes(data: string, mime: EvidenceMime): Buffer {
  const bytes = Buffer.from(data, 'base64')
  if (bytes.length === 0 || bytes.length > MAX_EVIDENCE_BYTES) {
    throw new TuotouError('evidence.too_large', `an evidence file may be at most ${MAX_EVIDENCE_BYTES} bytes`, {
      bytes: bytes.length,
      maxBytes: MAX_EVIDENCE_BYTES,
    })
  }
  if (!imageMagicMatches(bytes, mime)) {
    throw new TuotouError('evidence.not_image', `the file is not a ${mime === 'image/jpeg' ? 'JPEG' : 'PNG'} image`, {
      mime,
    })
  }
  return bytes
}

function fsyncDir(dir: string): void {
  const fd = openSync(dir, 'r')
  try {
    fsyncSync(fd)
  } finally {
    closeSync(fd)
  }
}

export interface StoredEvidence {
  evidenceId: string
  sha256: string
  bytes: number
  file: string
}

/**
 * Writes the file durably before any event can name it: a temporary name, fsync, rename, fsync of the folder.
 * Only then does the caller write the evidence row and its event in one transaction; a kill -9 in between leaves a
 * file without an event, which `recoverEvidence` finds at the next start, and never an event without its file.
 */
export function writeEvidenceFile(dataDir: string, bytes: Buffer, mime: EvidenceMime): StoredEvidence {
  const dir = evidenceDir(dataDir)
  mkdirSync(dir, { recursive: true })
  const evidenceId = randomUUID()
  const file = `${evidenceId}.${EXTENSION[mime]}`
  const temp = join(dir, `${TEMP_PREFIX}${file}`)
  const fd = openSync(temp, 'wx', 0o600)
  try {
    let written = 0
    while (written < bytes.length) written += writeSync(fd, bytes, written, bytes.length - written)
    fsyncSync(fd)
  } finally {
    closeSync(fd)
  }
  renameSync(temp, join(dir, file))
  fsyncDir(dir)
  return { evidenceId, sha256: createHash('sha256').update(bytes).digest('hex'), bytes: bytes.length, file }
}

export interface EvidenceCapture {
  order: { order_id: string; attempt: number; shift_id: string }
  kind: EvidenceKind
  mime: EvidenceMime
  stored: StoredEvidence
  capturedAt: string
  strokes?: [number, number, number][][]
}

/** The evidence row and its `proof.evidence_captured` event, in the caller's transaction. */
export function recordEvidence(db: DeviceDb, capture: EvidenceCapture): void {
  const { order, kind, mime, stored, capturedAt, strokes } = capture
  const event = appendEvent(db, {
    type: 'proof.evidence_captured',
    payload: {
      orderId: order.order_id,
      attempt: order.attempt,
      kind,
      evidenceId: stored.evidenceId,
      sha256: stored.sha256,
      bytes: stored.bytes,
      mime,
      capturedAt,
      ...(strokes ? { strokes } : {}),
    },
    shiftId: order.shift_id,
    occurredAt: capturedAt,
  })
  db.run(
    `INSERT INTO evidence (evidence_id, order_id, attempt, kind, mime, sha256, bytes, file, captured_at, event_id)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    [
      stored.evidenceId,
      order.order_id,
      order.attempt,
      kind,
      mime,
      stored.sha256,
      stored.bytes,
      stored.file,
      capturedAt,
      event.eventId,
    ],
  )
}

/** The kinds of evidence captured for one attempt of an order. */
export function evidenceKindsOf(db: DeviceDb, orderId: string, attempt: number): Set<EvidenceKind> {
  const rows = db.all<{ kind: EvidenceKind }>('SELECT DISTINCT kind FROM evidence WHERE order_id = ? AND attempt = ?', [
    orderId,
    attempt,
  ])
  return new Set(rows.map((r) => r.kind))
}

export interface RecoveryReport {
  /** Temporary files of a write cut short: never named by an event, removed. */
  tempRemoved: number
  /** Whole files no event names (killed between the rename and the commit): recorded as orphans and removed. */
  filesWithoutEvent: string[]
  /** Evidence events whose file is gone from the folder (the disk lost it): recorded, never uploaded as empty. */
  eventsWithoutFile: string[]
}

/**
 * At start: reconciles the evidence folder with the evidence rows. Nothing is dropped silently: each orphan is
 * kept in `evidence_orphans` with what was wrong, and the report says what was found.
 */
export function recoverEvidence(db: DeviceDb, dataDir: string, at: string): RecoveryReport {
  const dir = evidenceDir(dataDir)
  const report: RecoveryReport = { tempRemoved: 0, filesWithoutEvent: [], eventsWithoutFile: [] }
  let names: string[]
  try {
    names = readdirSync(dir)
  } catch {
    // No folder yet: nothing was ever captured.
    names = []
  }
  const known = new Map(
    db
      .all<{ evidence_id: string; file: string }>(
        'SELECT evidence_id, file FROM evidence WHERE file_deleted_at IS NULL',
      )
      .map((r) => [r.file, r.evidence_id]),
  )
  const present = new Set<string>()
  for (const name of names) {
    const path = join(dir, name)
    if (name.startsWith(TEMP_PREFIX)) {
      rmSync(path, { force: true })
      report.tempRemoved++
      continue
    }
    if (!FILE_NAME.test(name)) continue
    if (known.has(name)) {
      present.add(name)
      continue
    }
    const bytes = statSync(path, { throwIfNoEntry: false })?.size ?? 0
    db.run('INSERT OR IGNORE INTO evidence_orphans (name, problem, bytes, found_at) VALUES (?, ?, ?, ?)', [
      name,
      'file_without_event',
      bytes,
      at,
    ])
    rmSync(path, { force: true })
    report.filesWithoutEvent.push(name)
  }
  for (const [file, evidenceId] of known) {
    if (present.has(file)) continue
    const row = db.get<{ uploaded_at: string | null; missing_at: string | null }>(
      'SELECT uploaded_at, missing_at FROM evidence WHERE evidence_id = ?',
      [evidenceId],
    )
    if (!row || row.missing_at || row.uploaded_at) continue
    db.transaction(() => {
      db.run('UPDATE evidence SET missing_at = ? WHERE evidence_id = ?', [at, evidenceId])
      db.run('INSERT OR IGNORE INTO evidence_orphans (name, problem, bytes, found_at) VALUES (?, ?, 0, ?)', [
        file,
        'event_without_file',
        at,
      ])
    })
    report.eventsWithoutFile.push(evidenceId)
  }
  return report
}

/** Orphans the backend has not yet taken, oldest first, as the heartbeat carries them. */
export function orphansToReport(db: DeviceDb, limit = MAX_ORPHANS_PER_HEARTBEAT): EvidenceOrphanReport[] {
  return db
    .all<{ name: string; problem: EvidenceOrphanReport['problem']; bytes: number; found_at: string }>(
      `SELECT name, problem, bytes, found_at FROM evidence_orphans WHERE reported_at IS NULL
       ORDER BY found_at, name LIMIT ?`,
      [limit],
    )
    .map((row) => ({
      name: row.name,
      problem: row.problem,
      bytes: Math.min(row.bytes, MAX_EVIDENCE_BYTES),
      foundAt: row.found_at,
    }))
}

/** Marks orphans taken once a heartbeat carrying them was answered: one statement, so all or none. */
export function orphansReported(db: DeviceDb, names: readonly string[], at: string): void {
  if (names.length === 0) return
  db.run(
    `UPDATE evidence_orphans SET reported_at = ? WHERE reported_at IS NULL AND name IN (${names.map(() => '?').join(', ')})`,
    [at, ...names],
  )
}
