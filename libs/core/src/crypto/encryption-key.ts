import { randomBytes, randomUUID } from 'node:crypto';
import { chmodSync, linkSync, mkdirSync, readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import type { LoggerService } from '@nestjs/common';

export interface EncryptionKeySource {
  encryptionKey?: Buffer;
  encryptionKeyFile: string;
}

function readKeyFile(path: string): Buffer {
  const text = readFileSync(path, 'utf8').trim();
  const key = /^[0-9a-fA-F]{64}$/.test(text) ? Buffer.from(text, 'hex') : Buffer.from(text, 'base64');
  if (key.length !== 32) throw new Error(`${path} does not hold a 32-byte key (base64 or hex)`);
  return key;
}

/**
 * ENCRYPTION_KEY when set; otherwise a key generated once into ENCRYPTION_KEY_FILE so that a single
 * instance starts with no setup. Several processes may start together: the file is written under a
 * temporary name and hard-linked into place, which fails for all but the first, so nobody reads a
 * half-written key or overwrites another's.
 */
export function resolveEncryptionKey(source: EncryptionKeySource, logger: LoggerService): Buffer {
  if (source.encryptionKey) return source.encryptionKey;
  const path = source.encryptionKeyFile;
  const generated = createKeyFileOnce(path);
  logger.warn?.(
    `ENCRYPTION_KEY is not set: ${generated ? 'generated a key into' : 'using the key in'} ${path}. ` +
      'Every instance must use the same key: multi-instance deployments must set ENCRYPTION_KEY.',
  );
  return readKeyFile(path);
}

function createKeyFileOnce(path: string): boolean {
  try {
    readFileSync(path);
    return false;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  mkdirSync(dirname(path), { recursive: true });
  const temp = `${path}.${randomUUID()}.tmp`;
  writeFileSync(temp, `${randomBytes(32).toString('base64')}\n`, { mode: 0o600 });
  try {
    chmodSync(temp, 0o600);
    linkSync(temp, path);
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    return false;
  } finally {
    unlinkSync(temp);
  }
}
