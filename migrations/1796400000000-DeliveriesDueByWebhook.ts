import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * A webhook's outstanding deliveries in due order: a worker pulling back the deliveries it left
 * waiting in PostgreSQL for want of room (DeliveryRepository.leaseBacklog) reads each webhook's
 * oldest due ones with one index range scan, however long the backlog. Partial: only rows still to
 * be attempted are indexed, so the index stays as small as the backlog.
 */
export class DeliveriesDueByWebhook1796400000000 implements MigrationInterface {
  name = 'DeliveriesDueByWebhook1796400000000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `CREATE INDEX "idx_deliveries_due_by_webhook" ON "deliveries" ("webhook_id", "next_attempt_at") WHERE status IN ('pending', 'retrying')`,
    );
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP INDEX "public"."idx_deliveries_due_by_webhook"`);
  }
}
