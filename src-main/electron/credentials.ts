import type { SafeStorage } from 'electron'
import { createFileCredentialStore, type CredentialStore } from '../core/credentials/store'

/**
 * Credentials sealed with the OS keychain through safeStorage. Where it cannot encrypt (a Linux session without
 * a keyring), they fall back to a 0600 file, and `kind` says so for the UI to show.
 */
export function createElectronCredentialStore(dir: string, safeStorage: SafeStorage): CredentialStore {
  // On Linux without a keyring, safeStorage "encrypts" with a fixed key; that is no better than the file.
  const weak = process.platform === 'linux' && safeStorage.getSelectedStorageBackend?.() === 'basic_text'
  if (!safeStorage.isEncryptionAvailable() || weak) return createFileCredentialStore(dir)
  return createFileCredentialStore(dir, {
    encrypt: (plain) => safeStorage.encryptString(plain),
    decrypt: (sealed) => safeStorage.decryptString(sealed),
  })
}
