import { Logger } from '@nestjs/common';
import { randomBytes } from 'node:crypto';
import { chmodSync, linkSync, mkdirSync, readFileSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import type { AppConfig } from '../config/app-config';

/**
 * The key that encrypts signing secrets at rest. WEBHOOK_SECRET_KEY when set (production refuses
 * to start without it, see loadConfig). Otherwise, in development and tests only, a random key
 * kept in WEBHOOK_SECRET_KEY_FILE (default `.data/secret.key`, git-ignored, mode 0600), made on
 * first start: no key lives in the source, and each machine's development data has its own.
 */
export function resolveSecretKey(config: Pick<AppConfig, 'webhookSecretKey' | 'webhookSecretKeyFile' | 'nodeEnv'>, logger = new Logger('SecretKey')): string {
  if (config.webhookSecretKey) return config.webhookSecretKey;
  if (config.nodeEnv === 'production') throw new Error('WEBHOOK_SECRET_KEY is required when NODE_ENV=production');
  const path = resolve(config.webhookSecretKeyFile);
  const existing = readKey(path);
  if (existing) {
    logger.warn(`WEBHOOK_SECRET_KEY is not set: using the development key in ${path}. Set WEBHOOK_SECRET_KEY (and NODE_ENV=production) in production.`);
    return existing;
  }
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  // Written aside then hard-linked into place: link fails if another process won the race, and
  // nobody ever reads a half-written key.
  const temp = `${path}.${process.pid}.${Date.now()}.tmp`;
  writeFileSync(temp, `${randomBytes(32).toString('base64')}\n`, { mode: 0o600, flag: 'wx' });
  try {
    linkSync(temp, path);
    logger.warn(`WEBHOOK_SECRET_KEY is not set: generated a random development key in ${path} (mode 0600). Set WEBHOOK_SECRET_KEY (and NODE_ENV=production) in production.`);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
  } finally {
    unlinkSync(temp);
  }
  const key = readKey(path);
  if (!key) throw new Error(`WEBHOOK_SECRET_KEY_FILE ${path} is empty`);
  return key;
}

function readKey(path: string): string | null {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw err;
  }
  // Anyone else on the machine who can read the key can read every signing secret.
  if ((statSync(path).mode & 0o077) !== 0) chmodSync(path, 0o600);
  const key = text.trim();
  if (key.length < 32) throw new Error(`WEBHOOK_SECRET_KEY_FILE ${path}: the key must be at least 32 characters`);
  return key;
}
