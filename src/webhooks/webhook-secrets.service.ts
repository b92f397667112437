import { Inject, Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import { APP_CONFIG, AppConfig } from '../config/app-config';
import { SecretCipher } from './secret-cipher';
import { generateSecret, isLive, rotateStoredSecrets } from './webhook-secret';
import { StoredSecret, Webhook } from './webhook.entity';

// Decrypted secrets kept in memory: enough for every webhook a worker sends to, bounded all the same.
const CACHE_LIMIT = 10_000;

/**
 * Signing secrets: generation, encryption at rest, rotation, and the decrypted live secrets the
 * delivery engine signs each request with. Plain secrets leave this service only as return values.
 */
@Injectable()
export class WebhookSecretsService {
  private readonly cipher: SecretCipher;
  /** ciphertext → plain secret. A ciphertext never changes meaning (random IV per encryption). */
  private readonly decrypted = new Map<string, string>();

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @InjectDataSource() private readonly dataSource: DataSource,
  ) {
    this.cipher = new SecretCipher(config.webhookSecretKey);
  }

  /** A fresh secret and its stored (encrypted) form, for a new webhook. */
  create(now = Date.now()): { secret: string; secrets: StoredSecret[] } {
    const secret = generateSecret();
    return { secret, secrets: [this.store(secret, now)] };
  }

  /** A new current secret; the previous one keeps signing for WEBHOOK_SECRET_OVERLAP. */
  rotate(stored: StoredSecret[], now = Date.now()): { secret: string; secrets: StoredSecret[] } {
    const secret = generateSecret();
    return { secret, secrets: rotateStoredSecrets(stored, this.store(secret, now), now, this.config.webhookSecretOverlapMs) };
  }

  /** The current secret (the one shown by GET …/secret). */
  current(stored: StoredSecret[]): string {
    if (!stored?.length) throw new Error('Webhook has no signing secret');
    return this.decrypt(stored[0].ciphertext);
  }

  /**
   * The secrets to sign one send with: current first, then rotated-out ones still inside their
   * overlap. Called per delivery attempt, so decryption is cached.
   */
  liveSecrets(stored: StoredSecret[], now = Date.now()): string[] {
    return (stored ?? []).filter((s) => isLive(s, now)).map((s) => this.decrypt(s.ciphertext));
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

  private store(secret: string, now: number): StoredSecret {
    const ciphertext = this.cipher.encrypt(secret);
    this.remember(ciphertext, secret);
    return { ciphertext, createdAt: new Date(now).toISOString(), expiresAt: null };
  }

  private decrypt(ciphertext: string): string {
    const cached = this.decrypted.get(ciphertext);
    if (cached !== undefined) {
      // Re-insert: Map order then approximates least-recently-used for eviction.
      this.decrypted.delete(ciphertext);
      this.decrypted.set(ciphertext, cached);
      return cached;
    }
    const plain = this.cipher.decrypt(ciphertext);
    this.remember(ciphertext, plain);
    return plain;
  }

  private remember(ciphertext: string, plain: string): void {
    if (this.decrypted.size >= CACHE_LIMIT) this.decrypted.delete(this.decrypted.keys().next().value as string);
    this.decrypted.set(ciphertext, plain);
  }
}
