import { createHash } from 'node:crypto'
import { createReadStream, createWriteStream } from 'node:fs'
import { mkdir, open, rename, rm, stat, truncate } from 'node:fs/promises'
import { join } from 'node:path'
import type { Readable } from 'node:stream'
import { pipeline } from 'node:stream/promises'

/** What the backend learns of a partial upload once it is all there: its size, SHA-256 and first bytes. */
export interface EvidenceDigest {
  bytes: number
  sha256: string
  /** The first 16 bytes, for the image's magic number. */
  head: Buffer
}

/**
 * Where evidence files live. Keys are the evidence IDs (UUIDs). An upload grows a partial object until it is all
 * there; `commit` makes it the stored file atomically. The filesystem store is the default; object storage (S3's
 * multipart upload, say: a part per chunk, completed on commit) implements the same interface for scale.
 * Everything streams: no whole file is held in the JS heap.
 */
export interface EvidenceStore {
  /** How many bytes of the partial upload are held (0 when none). */
  partialSize(key: string): Promise<number>
  /**
   * Writes `body` at `offset` of the partial upload (which must be its size now), refusing past `maxBytes`; answers
   * the new size. A body cut off keeps what arrived durably, so the next try continues from there.
   */
  appendPartial(key: string, offset: number, body: Readable, maxBytes: number): Promise<number>
  /** The partial upload's size, hash and head, read as a stream. */
  digestPartial(key: string): Promise<EvidenceDigest>
  /** Drops the partial upload (its hash did not match): the device sends it again from 0. */
  discardPartial(key: string): Promise<void>
  /** Makes the partial upload the stored file. */
  commit(key: string): Promise<void>
  /** The stored file's bytes, or null when there is none (never stored, or deleted). */
  read(key: string): Promise<Readable | null>
  /** Deletes the stored file (retention); deleting what is not there is not an error. */
  delete(key: string): Promise<void>
}

/** Too many bytes for the declared size: the write is refused and the partial cut back to where it was. */
export class EvidenceTooLarge extends Error {}

const SAFE_KEY = /^[0-9a-f-]{36}$/

/** The filesystem store: `partial/<key>` while uploading, `stored/<key>` once verified; each write fsynced. */
export function filesystemEvidenceStore(dir: string): EvidenceStore {
  const partial = (key: string): string => {
    if (!SAFE_KEY.test(key)) throw new Error('evidence keys are UUIDs')
    return join(dir, 'partial', key)
  }
  const stored = (key: string): string => {
    if (!SAFE_KEY.test(key)) throw new Error('evidence keys are UUIDs')
    return join(dir, 'stored', key)
  }
  const ready = Promise.all([
    mkdir(join(dir, 'partial'), { recursive: true }),
    mkdir(join(dir, 'stored'), { recursive: true }),
  ])
  const sizeOf = async (path: string): Promise<number> => (await stat(path).catch(() => null))?.size ?? 0
  const syncDir = async (path: string): Promise<void> => {
    const handle = await open(path, 'r')
    try {
      await handle.sync()
    } finally {
      await handle.close()
    }
  }

  return {
    async partialSize(key) {
      await ready
      return sizeOf(partial(key))
    },
    async appendPartial(key, offset, body, maxBytes) {
      await ready
      const path = partial(key)
      const handle = await open(path, 'a')
      await handle.close()
      let written = 0
      let tooLarge = false
      const out = createWriteStream(path, { flags: 'r+', start: offset })
      try {
        await pipeline(
          body,
          async function* limit(source: AsyncIterable<Buffer>) {
            for await (const chunk of source) {
              if (offset + written + chunk.length > maxBytes) {
                tooLarge = true
                throw new EvidenceTooLarge('more bytes than the file has')
              }
              written += chunk.length
              yield chunk
            }
          },
          out,
        )
      } catch (error) {
        if (tooLarge) {
          await truncate(path, offset)
          throw error instanceof EvidenceTooLarge ? error : new EvidenceTooLarge('more bytes than the file has')
        }
        // A body cut off: what arrived stays, durably, for the next try to continue from.
      }
      const sync = await open(path, 'r+')
      try {
        await sync.sync()
      } finally {
        await sync.close()
      }
      return sizeOf(path)
    },
    async digestPartial(key) {
      await ready
      const hash = createHash('sha256')
      let bytes = 0
      const heads: Buffer[] = []
      for await (const chunk of createReadStream(partial(key)) as AsyncIterable<Buffer>) {
        hash.update(chunk)
        if (bytes < 16) heads.push(chunk.subarray(0, 16 - bytes))
        bytes += chunk.length
      }
      return { bytes, sha256: hash.digest('hex'), head: Buffer.concat(heads) }
    },
    async discardPartial(key) {
      await rm(partial(key), { force: true })
    },
    async commit(key) {
      await ready
      await rename(partial(key), stored(key))
      await syncDir(join(dir, 'stored'))
    },
    async read(key) {
      const path = stored(key)
      const found = await stat(path).catch(() => null)
      return found ? createReadStream(path) : null
    },
    async delete(key) {
      await rm(stored(key), { force: true })
      await rm(partial(key), { force: true })
    },
  }
}
