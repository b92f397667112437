import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Which WEBHOOK_SECRET_KEY a webhook's secrets are encrypted under. Existing rows get NULL: their
 * ciphertexts are the v1 format (no key id, no AAD) and the application re-encrypts them under the
 * current key at start-up, as long as the key they were made with is WEBHOOK_SECRET_KEY or listed
 * in WEBHOOK_SECRET_KEY_PREVIOUS. Nothing is decrypted or lost here.
 */
export class WebhookSecretsKeyId1796156885392 implements MigrationInterface {
  name = 'WebhookSecretsKeyId1796156885392';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "webhooks" ADD "secrets_key_id" text`);
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "webhooks" DROP COLUMN "secrets_key_id"`);
  }
}
