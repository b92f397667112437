import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Webhook ownership transfer (previous owner, when) and the reason a delivery was cancelled. The
 * per-delivery redacted payload goes: every attempt now derives the payload from the event with
 * the owner's ability at that moment.
 */
export class WebhookOwnerAndCancelReason1796156639019 implements MigrationInterface {
  name = 'WebhookOwnerAndCancelReason1796156639019';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "webhooks" ADD "previous_owner_id" uuid`);
    await queryRunner.query(`ALTER TABLE "webhooks" ADD "owner_changed_at" TIMESTAMP WITH TIME ZONE`);
    await queryRunner.query(`ALTER TABLE "deliveries" DROP COLUMN "payload"`);
    await queryRunner.query(`ALTER TABLE "deliveries" ADD "cancel_reason" text`);
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "deliveries" DROP COLUMN "cancel_reason"`);
    await queryRunner.query(`ALTER TABLE "deliveries" ADD "payload" jsonb`);
    await queryRunner.query(`ALTER TABLE "webhooks" DROP COLUMN "owner_changed_at"`);
    await queryRunner.query(`ALTER TABLE "webhooks" DROP COLUMN "previous_owner_id"`);
  }
}
