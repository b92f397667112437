import { Inject, Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import { APP_CONFIG, AppConfig } from '../config/app-config';
import { SecretCipher } from './secret-cipher';
import { resolveSecretKey } from './secret-key-file';
import { generateSecret, isLive, rotateStoredSecrets } from './webhook-secret';
import { StoredSecret, Webhook } from './webhook.entity';

// Decrypted secrets kept in memory: enough for every webhook a worker sends to, bounded all the same.
const CACHE_LIMIT = 10_000;
// Rows re-encrypted per transaction by the start-up pass.
const REENCRYPT_BATCH = 100;

/** Associated data of a webhook's ciphertexts: a ciphertext decrypts only on the row it was made for. */
const aadFor = (webhookId: string) => `webhook:${webhookId}`;

/**
 * Signing secrets: generation, encryption at rest, rotation, and the decrypted live secrets the
 * delivery engine signs each request with. Plain secrets leave this service only as return values.
 */
@Injectable()
export class WebhookSecretsService implements OnApplicationBootstrap {
  private readonly logger = new Logger(WebhookSecretsService.name);
  private readonly cipher: SecretCipher;
  /** webhook id + ciphertext → plain secret. A ciphertext never changes meaning (random IV per encryption). */
  private readonly decrypted = new Map<string, string>();
  /** The start-up re-encryption pass (awaitable by tests). */
  reencryption: Promise<{ reencrypted: number; failed: number }> = Promise.resolve({ reencrypted: 0, failed: 0 });

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @InjectDataSource() private readonly dataSource: DataSource,
  ) {
    this.cipher = new SecretCipher(resolveSecretKey(config), config.webhookSecretKeyPrevious);
  }

  /** The id of the key new ciphertexts are made with (the `secretsKeyId` of rows written now). */
  get keyId(): string {
    return this.cipher.keyId;
  }

  /** A fresh secret and its stored (encrypted) form, for a new webhook (whose id is chosen by the caller). */
  create(webhookId: string, now = Date.now()): { secret: string; secrets: StoredSecret[]; secretsKeyId: string } {
    const secret = generateSecret();
    return { secret, secrets: [this.store(webhookId, secret, now)], secretsKeyId: this.keyId };
  }

  /**
   * A new current secret; the previous one keeps signing for WEBHOOK_SECRET_OVERLAP. Secrets kept
   * are re-encrypted under the current key, so the whole row is under one key.
   */
  rotate(webhookId: string, stored: StoredSecret[], now = Date.now()): { secret: string; secrets: StoredSecret[]; secretsKeyId: string } {
    const secret = generateSecret();
    const next = rotateStoredSecrets(stored, this.store(webhookId, secret, now), now, this.config.webhookSecretOverlapMs);
    return { secret, secrets: this.reencrypt(webhookId, next), secretsKeyId: this.keyId };
  }

  /** The current secret (the one shown by GET …/secret). */
  current(webhookId: string, stored: StoredSecret[]): string {
    if (!stored?.length) throw new Error('Webhook has no signing secret');
    return this.decrypt(webhookId, stored[0].ciphertext);
  }

  /**
   * The secrets to sign one send with: current first, then rotated-out ones still inside their
   * overlap. Called per delivery attempt, so decryption is cached.
   */
  liveSecrets(webhookId: string, stored: StoredSecret[], now = Date.now()): string[] {
    return (stored ?? []).filter((s) => isLive(s, now)).map((s) => this.decrypt(webhookId, s.ciphertext));
  }

  onApplicationBootstrap(): void {
    // In the background: a large table must not hold the start-up (old keys still decrypt meanwhile).
    this.reencryption = this.reencryptAll().catch((err: unknown) => {
      this.logger.error(`Re-encrypting webhook secrets under the current key failed: ${(err as Error).message}`);
      return { reencrypted: 0, failed: 0 };
    });
  }

  /**
   * Moves every row still encrypted under a previous key (or in the v1 format, without key id and
   * AAD) to the current key, a batch per transaction; safe with several processes (SKIP LOCKED).
   * Rows no configured key can decrypt are left untouched and counted in the log.
   */
  async reencryptAll(): Promise<{ reencrypted: number; failed: number }> {
    const failedIds: string[] = [];
    let reencrypted = 0;
    for (;;) {
      const batch = await this.dataSource.transaction(async (tx) => {
        const rows: { id: string; secrets: StoredSecret[] }[] = await tx.query(
          `SELECT id, secrets FROM webhooks
            WHERE secrets_key_id IS DISTINCT FROM $1 AND NOT (id = ANY($2::uuid[]))
            ORDER BY id LIMIT ${REENCRYPT_BATCH} FOR UPDATE SKIP LOCKED`,
          [this.keyId, failedIds],
        );
        for (const row of rows) {
          try {
            const secrets = this.reencrypt(row.id, row.secrets);
            await tx.query('UPDATE webhooks SET secrets = $2, secrets_key_id = $3 WHERE id = $1', [row.id, JSON.stringify(secrets), this.keyId]);
            reencrypted++;
          } catch {
            failedIds.push(row.id);
          }
        }
        return rows.length;
      });
      if (batch < REENCRYPT_BATCH) break;
    }
    if (reencrypted > 0) this.logger.log(`Re-encrypted the signing secrets of ${reencrypted} webhook(s) under key ${this.keyId}`);
    if (failedIds.length > 0) {
      this.logger.error(
        `${failedIds.length} webhook(s) have signing secrets no configured key decrypts (e.g. ${failedIds[0]}): ` +
          'add the key they were made with to WEBHOOK_SECRET_KEY_PREVIOUS, or rotate their secrets',
      );
    }
    return { reencrypted, failed: failedIds.length };
  }

  /**
   * A webhook with its `secrets` column (which ordinary queries never select), or null.
   * Not permission-scoped: for the delivery engine, and for services that already checked access.
   */
  findWithSecrets(id: string, manager: EntityManager = this.dataSource.manager): Promise<Webhook | null> {
    return manager
      .getRepository(Webhook)
      .createQueryBuilder('webhook')
      .addSelect('webhook.secrets')
      .where('webhook.id = :id', { id })
      .getOne();
  }

  private store(webhookId: string, secret: string, now: number): StoredSecret {
    const ciphertext = this.cipher.encrypt(secret, aadFor(webhookId));
    this.remember(webhookId, ciphertext, secret);
    return { ciphertext, createdAt: new Date(now).toISOString(), expiresAt: null };
  }

  /** The same secrets, every one under the current key (unchanged when it already is). */
  private reencrypt(webhookId: string, stored: StoredSecret[]): StoredSecret[] {
    return stored.map((s) =>
      SecretCipher.keyIdOfToken(s.ciphertext) === this.keyId
        ? s
        : { ...s, ciphertext: this.cipher.encrypt(this.decrypt(webhookId, s.ciphertext), aadFor(webhookId)) },
    );
  }

  private decrypt(webhookId: string, ciphertext: string): string {
    // Keyed by row too: a ciphertext copied onto another row must fail there, cached or not.
    const cacheKey = `${webhookId}:${ciphertext}`;
    const cached = this.decrypted.get(cacheKey);
    if (cached !== undefined) {
      // Re-insert: Map order then approximates least-recently-used for eviction.
      this.decrypted.delete(cacheKey);
      this.decrypted.set(cacheKey, cached);
      return cached;
    }
    const plain = this.cipher.decrypt(ciphertext, aadFor(webhookId));
    this.remember(webhookId, ciphertext, plain);
    return plain;
  }

  private remember(webhookId: string, ciphertext: string, plain: string): void {
    if (this.decrypted.size >= CACHE_LIMIT) this.decrypted.delete(this.decrypted.keys().next().value as string);
    this.decrypted.set(`${webhookId}:${ciphertext}`, plain);
  }
}
