import type { SafeStorage } from 'electron';
import type { SecretVault } from '../tls/files';

/**
 * safeStorage as the core's SecretVault, when it really encrypts. On Linux without a keyring
 * Chromium falls back to a hard-coded key ('basic_text'); that is no better than the 0600 files
 * the core writes anyway, so then there is no vault and Settings says so.
 */
export function safeStorageVault(safeStorage: SafeStorage, platform: NodeJS.Platform): SecretVault | undefined {
  if (!safeStorage.isEncryptionAvailable()) return undefined;
  let describe = platform === 'darwin' ? 'the macOS Keychain' : platform === 'win32' ? 'Windows DPAPI (your user account)' : 'the desktop keyring';
  if (platform === 'linux') {
    const backend = safeStorage.getSelectedStorageBackend();
    if (backend === 'basic_text' || backend === 'unknown') return undefined;
    describe = backend === 'gnome_libsecret' ? 'the GNOME keyring (libsecret)' : 'KWallet';
  }
  return { seal: (plain) => safeStorage.encryptString(plain), open: (sealed) => safeStorage.decryptString(sealed), describe };
}
