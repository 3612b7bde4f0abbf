import { mkdtempSync, readdirSync, readFileSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { createFileCredentialStore } from './store'

const tempDir = (): string => join(mkdtempSync(join(tmpdir(), 'tuotou-cred-')), 'credentials')

describe('file credential store', () => {
  it('keeps each secret readable by its owner only', () => {
    const dir = tempDir()
    const store = createFileCredentialStore(dir)
    store.write('device-token', 's3cret')
    expect(store.kind).toBe('file')
    expect(store.read('device-token')).toBe('s3cret')
    for (const file of readdirSync(dir)) expect(statSync(join(dir, file)).mode & 0o777).toBe(0o600)
    store.remove('device-token')
    expect(store.read('device-token')).toBeNull()
  })

  it('stores only ciphertext when given a codec', () => {
    const dir = tempDir()
    const codec = {
      encrypt: (plain: string) => Buffer.from([...Buffer.from(plain)].map((byte) => byte ^ 0x5a)),
      decrypt: (sealed: Buffer) => Buffer.from([...sealed].map((byte) => byte ^ 0x5a)).toString(),
    }
    const store = createFileCredentialStore(dir, codec)
    store.write('shift-token', 'plain-text-token')
    expect(store.kind).toBe('safeStorage')
    const [file] = readdirSync(dir)
    expect(readFileSync(join(dir, file!)).toString()).not.toContain('plain-text-token')
    expect(store.read('shift-token')).toBe('plain-text-token')
  })

  it('refuses a name that could escape its folder', () => {
    const store = createFileCredentialStore(tempDir())
    expect(() => store.write('../../etc/passwd', 'x')).toThrow(/bad credential name/)
  })
})
