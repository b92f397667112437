import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Per-webhook flow control: how many attempts may be in flight at once (NULL: the platform default,
 * WEBHOOK_MAX_CONCURRENCY) and an optional rate limit in attempts per second (NULL: none). Existing
 * webhooks get NULL for both: the default concurrency, no rate limit.
 */
export class WebhookFlowLimits1796300015000 implements MigrationInterface {
  name = 'WebhookFlowLimits1796300015000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "webhooks" ADD "max_concurrency" integer`);
    await queryRunner.query(`ALTER TABLE "webhooks" ADD "rate_limit_per_second" integer`);
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "webhooks" DROP COLUMN "rate_limit_per_second"`);
    await queryRunner.query(`ALTER TABLE "webhooks" DROP COLUMN "max_concurrency"`);
  }
}
