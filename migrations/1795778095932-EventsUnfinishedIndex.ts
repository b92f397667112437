import { MigrationInterface, QueryRunner } from 'typeorm';

/** The partial index OutboxEvent declares (re-enqueueing unfinished subscriber jobs) but Initial never created. */
export class EventsUnfinishedIndex1795778095932 implements MigrationInterface {
  name = 'EventsUnfinishedIndex1795778095932';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`CREATE INDEX "idx_events_unfinished" ON "events"  ("relayed_at") WHERE relayed_at IS NOT NULL AND pending_subscribers <> '{}'`);
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP INDEX "public"."idx_events_unfinished"`);
  }
}
