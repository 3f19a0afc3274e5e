import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from '@jest/globals';
import { resolveEncryptionKey } from './encryption-key';
import { DecryptionError, SecretCipher } from './secret-cipher';

const key = randomBytes(32);
const cipher = new SecretCipher(key);

function flip(sealed: string, part: number): string {
  const parts = sealed.split('.');
  const bytes = Buffer.from(parts[part], 'base64url');
  bytes[0] ^= 0x01;
  parts[part] = bytes.toString('base64url');
  return parts.join('.');
}

describe('SecretCipher', () => {
  it('round-trips text and JSON, with a fresh IV each time', () => {
    const secret = 'at_é✓ secret';
    const a = cipher.encrypt(secret, 'tokens:x');
    const b = cipher.encrypt(secret, 'tokens:x');
    expect(a).not.toBe(b);
    expect(a).not.toContain('secret');
    expect(cipher.decrypt(a, 'tokens:x')).toBe(secret);
    const value = { access_token: 'at_1', expires_in: 60 };
    expect(cipher.decryptJson(cipher.encryptJson(value, 'c'), 'c')).toEqual(value);
  });

  it('detects tampering with the ciphertext, the tag or the IV', () => {
    const sealed = cipher.encrypt('hello world', 'ctx');
    for (const part of [1, 2, 3]) {
      expect(() => cipher.decrypt(flip(sealed, part), 'ctx')).toThrow(DecryptionError);
    }
    expect(() => cipher.decrypt(sealed.slice(0, -2), 'ctx')).toThrow(DecryptionError);
    expect(() => cipher.decrypt('not sealed', 'ctx')).toThrow(DecryptionError);
  });

  it('refuses another key and another context', () => {
    const sealed = cipher.encrypt('hello', 'tokens:a');
    expect(() => new SecretCipher(randomBytes(32)).decrypt(sealed, 'tokens:a')).toThrow(DecryptionError);
    expect(() => cipher.decrypt(sealed, 'tokens:b')).toThrow(DecryptionError);
  });

  it('needs a 32-byte key', () => {
    expect(() => new SecretCipher(randomBytes(16))).toThrow(/32 bytes/);
  });
});

describe('resolveEncryptionKey', () => {
  const dir = mkdtempSync(join(tmpdir(), 'auxilia-key-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const warnings: string[] = [];
  const logger = {
    log: () => undefined,
    error: () => undefined,
    warn: (m: unknown) => void warnings.push(String(m)),
  };

  it('prefers ENCRYPTION_KEY and writes nothing', () => {
    const file = join(dir, 'unused', 'key');
    expect(resolveEncryptionKey({ encryptionKey: key, encryptionKeyFile: file }, logger).equals(key)).toBe(
      true,
    );
    expect(() => statSync(file)).toThrow();
  });

  it('generates a key once into a 0600 file and reuses it', () => {
    const file = join(dir, 'nested', 'encryption.key');
    const first = resolveEncryptionKey({ encryptionKeyFile: file }, logger);
    const second = resolveEncryptionKey({ encryptionKeyFile: file }, logger);
    expect(first).toHaveLength(32);
    expect(second.equals(first)).toBe(true);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(Buffer.from(readFileSync(file, 'utf8').trim(), 'base64').equals(first)).toBe(true);
    expect(warnings.some((w) => w.includes('multi-instance deployments must set ENCRYPTION_KEY'))).toBe(true);
  });

  it('refuses a key file that does not hold 32 bytes', () => {
    const file = join(dir, 'bad.key');
    writeFileSync(file, 'c2hvcnQ=\n');
    expect(() => resolveEncryptionKey({ encryptionKeyFile: file }, logger)).toThrow(/32-byte/);
  });
});
