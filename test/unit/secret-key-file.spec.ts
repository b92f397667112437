import type { Logger } from '@nestjs/common';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config/app-config';
import { resolveSecretKey } from '../../src/webhooks/secret-key-file';

/** Issue 12, finding 6: the key that encrypted every signing secret was published in the source. */

const dir = mkdtempSync(join(tmpdir(), 'cc-secret-key-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function recorder(): { logger: Logger; warnings: string[] } {
  const warnings: string[] = [];
  return { logger: { warn: (m: string) => warnings.push(m) } as unknown as Logger, warnings };
}

describe('WEBHOOK_SECRET_KEY', () => {
  it('NODE_ENV=production without a key refuses to start, naming the variable and how to make one', () => {
    expect(() => loadConfig({ NODE_ENV: 'production' })).toThrow(ConfigError);
    expect(() => loadConfig({ NODE_ENV: 'production' })).toThrow(/WEBHOOK_SECRET_KEY: required when NODE_ENV=production.*openssl rand -base64 32/);
    expect(() => resolveSecretKey({ nodeEnv: 'production', webhookSecretKey: '', webhookSecretKeyFile: join(dir, 'never') })).toThrow(/required/);
    expect(readdirSync(dir)).toEqual([]);
  });

  it('no key is built in: development without a key reads or makes a key file', () => {
    const config = loadConfig({ NODE_ENV: 'development' });
    expect(config.webhookSecretKey).toBe('');
    expect(config.webhookSecretKeyFile).toBe('.data/secret.key');
    // The key published in the source before this fix is nowhere in it any more.
    const sources = (d: string): string[] =>
      readdirSync(d, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? sources(join(d, e.name)) : [join(d, e.name)]));
    for (const file of sources(join(__dirname, '../../src'))) expect(readFileSync(file, 'utf8'), file).not.toContain('development-only-secret-key');
  });

  it('first start generates a random key into the file (mode 0600) and says so; later starts reuse it and say so', () => {
    const file = join(dir, 'nested', 'secret.key');
    const first = recorder();
    const key = resolveSecretKey({ nodeEnv: 'development', webhookSecretKey: '', webhookSecretKeyFile: file }, first.logger);
    expect(Buffer.from(key, 'base64')).toHaveLength(32);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(first.warnings).toEqual([expect.stringMatching(/generated a random development key in .*secret\.key \(mode 0600\).*production/)]);
    expect(readdirSync(join(dir, 'nested'))).toEqual(['secret.key']);

    const again = recorder();
    expect(resolveSecretKey({ nodeEnv: 'test', webhookSecretKey: '', webhookSecretKeyFile: file }, again.logger)).toBe(key);
    expect(again.warnings).toEqual([expect.stringMatching(/using the development key in .*secret\.key/)]);

    // Another machine (another file) gets another key.
    expect(resolveSecretKey({ nodeEnv: 'development', webhookSecretKey: '', webhookSecretKeyFile: join(dir, 'other.key') }, recorder().logger)).not.toBe(key);
  });

  it('a key file others can read is made private; a set WEBHOOK_SECRET_KEY wins silently', () => {
    const file = join(dir, 'loose.key');
    writeFileSync(file, 'a passphrase that is long enough for a key\n', { mode: 0o644 });
    expect(resolveSecretKey({ nodeEnv: 'development', webhookSecretKey: '', webhookSecretKeyFile: file }, recorder().logger)).toBe('a passphrase that is long enough for a key');
    expect(statSync(file).mode & 0o777).toBe(0o600);
    const quiet = recorder();
    expect(resolveSecretKey({ nodeEnv: 'development', webhookSecretKey: 'k'.repeat(40), webhookSecretKeyFile: file }, quiet.logger)).toBe('k'.repeat(40));
    expect(quiet.warnings).toEqual([]);
  });

  it('previous keys are validated like the current one', () => {
    expect(() => loadConfig({ WEBHOOK_SECRET_KEY: 'k'.repeat(40), WEBHOOK_SECRET_KEY_PREVIOUS: 'short' })).toThrow(/WEBHOOK_SECRET_KEY_PREVIOUS: must be at least 32/);
    expect(loadConfig({ WEBHOOK_SECRET_KEY: 'k'.repeat(40), WEBHOOK_SECRET_KEY_PREVIOUS: `${'a'.repeat(32)}, ${'b'.repeat(32)}` }).webhookSecretKeyPrevious).toEqual(['a'.repeat(32), 'b'.repeat(32)]);
  });
});
