import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Operations (issue 16):
 * - `delivery_skips`: fan-out's decisions NOT to deliver an event to a subscribed webhook, with the
 *   reason (the deliveries table holds the other decisions); removed with the event or the webhook.
 * - `delivery_attempts.webhook_id` (back-filled) and a covering index on (webhook_id, started_at):
 *   a webhook's health over a window is one index range scan, whatever the table's size.
 * - `deliveries (workspace_id, created_at)`: the workspace-wide delivery search, newest first.
 * - `events (workspace_id, data->'object'->>'id')`: the search by object id.
 * - `webhooks.consecutive_failures`, `alert_state` and `alert_mailed_at`: the failing/disabled/recovered alerts.
 */
export class DeliveryDecisions1796170718770 implements MigrationInterface {
  name = 'DeliveryDecisions1796170718770';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `CREATE TABLE "delivery_skips" ("event_id" text NOT NULL, "webhook_id" uuid NOT NULL, "workspace_id" uuid NOT NULL, "reason" text NOT NULL, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "PK_332fa0c73036f1cffdc9a8c5111" PRIMARY KEY ("event_id", "webhook_id"))`,
    );
    await queryRunner.query(`ALTER TABLE "webhooks" ADD "consecutive_failures" integer NOT NULL DEFAULT '0'`);
    await queryRunner.query(`ALTER TABLE "webhooks" ADD "alert_state" text`);
    await queryRunner.query(`ALTER TABLE "webhooks" ADD "alert_mailed_at" TIMESTAMP WITH TIME ZONE`);
    await queryRunner.query(`ALTER TABLE "delivery_attempts" ADD "webhook_id" uuid`);
    await queryRunner.query(`UPDATE "delivery_attempts" a SET "webhook_id" = d."webhook_id" FROM "deliveries" d WHERE d."id" = a."delivery_id"`);
    await queryRunner.query(
      `CREATE INDEX "idx_delivery_attempts_health" ON "delivery_attempts" ("webhook_id", "started_at") INCLUDE ("duration_ms", "error", "response_status")`,
    );
    await queryRunner.query(`CREATE INDEX "IDX_5cb9626cdd17b61d926a4082e0" ON "deliveries"  ("workspace_id", "created_at") `);
    await queryRunner.query(`CREATE INDEX "idx_events_object" ON "events" ("workspace_id", (("data" -> 'object') ->> 'id'))`);
    await queryRunner.query(
      `ALTER TABLE "delivery_skips" ADD CONSTRAINT "FK_9bbe265497ca8abd156743468ca" FOREIGN KEY ("event_id") REFERENCES "events"("id") ON DELETE CASCADE ON UPDATE NO ACTION`,
    );
    await queryRunner.query(
      `ALTER TABLE "delivery_skips" ADD CONSTRAINT "FK_2a576d4f3f17cbf55bb7bf53180" FOREIGN KEY ("webhook_id") REFERENCES "webhooks"("id") ON DELETE CASCADE ON UPDATE NO ACTION`,
    );
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "delivery_skips" DROP CONSTRAINT "FK_2a576d4f3f17cbf55bb7bf53180"`);
    await queryRunner.query(`ALTER TABLE "delivery_skips" DROP CONSTRAINT "FK_9bbe265497ca8abd156743468ca"`);
    await queryRunner.query(`DROP INDEX "public"."idx_events_object"`);
    await queryRunner.query(`DROP INDEX "public"."IDX_5cb9626cdd17b61d926a4082e0"`);
    await queryRunner.query(`DROP INDEX "public"."idx_delivery_attempts_health"`);
    await queryRunner.query(`ALTER TABLE "delivery_attempts" DROP COLUMN "webhook_id"`);
    await queryRunner.query(`ALTER TABLE "webhooks" DROP COLUMN "alert_mailed_at"`);
    await queryRunner.query(`ALTER TABLE "webhooks" DROP COLUMN "alert_state"`);
    await queryRunner.query(`ALTER TABLE "webhooks" DROP COLUMN "consecutive_failures"`);
    await queryRunner.query(`DROP TABLE "delivery_skips"`);
  }
}
