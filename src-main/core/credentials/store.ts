import { chmodSync, existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'

/** Where the device keeps secrets (device credential, shift token). */
export interface CredentialStore {
  /** `safeStorage` when the OS encrypts them; `file` when they sit in a 0600 file. */
  readonly kind: 'safeStorage' | 'file'
  read(name: string): string | null
  write(name: string, value: string): void
  remove(name: string): void
}

export interface SecretCodec {
  encrypt(plain: string): Buffer
  decrypt(sealed: Buffer): string
}

const NAME = /^[a-z][a-z0-9-]{0,63}$/

/**
 * Keeps each secret in its own file under `dir`, readable by the owner only. With a codec (Electron's
 * safeStorage) the file holds ciphertext; without one it holds the plain value, and the app says so.
 */
export function createFileCredentialStore(dir: string, codec?: SecretCodec): CredentialStore {
  mkdirSync(dir, { recursive: true, mode: 0o700 })
  const pathOf = (name: string): string => {
    if (!NAME.test(name)) throw new Error(`bad credential name: ${name}`)
    return join(dir, `${name}${codec ? '.sealed' : '.secret'}`)
  }
  return {
    kind: codec ? 'safeStorage' : 'file',
    read(name) {
      const file = pathOf(name)
      if (!existsSync(file)) return null
      const bytes = readFileSync(file)
      return codec ? codec.decrypt(bytes) : bytes.toString('utf8')
    },
    write(name, value) {
      const file = pathOf(name)
      const temp = `${file}.tmp`
      writeFileSync(temp, codec ? codec.encrypt(value) : Buffer.from(value, 'utf8'), { mode: 0o600 })
      chmodSync(temp, 0o600)
      renameSync(temp, file)
    },
    remove(name) {
      rmSync(pathOf(name), { force: true })
    },
  }
}
