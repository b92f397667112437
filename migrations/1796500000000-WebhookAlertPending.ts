import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * `webhooks.alert_pending`: the changes of health the attempts' statement detected and that are not
 * announced yet, oldest first (`[{kind, lastError?, reason?, failingSince?}]`). The announcement
 * pops the head in the statement that writes its event. Before, the announcement checked the
 * webhook's state again when it ran: a change overtaken meanwhile (a failing webhook that succeeded
 * or answered 410 before its `webhook.failing` was written) was never announced.
 */
export class WebhookAlertPending1796500000000 implements MigrationInterface {
  name = 'WebhookAlertPending1796500000000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "webhooks" ADD "alert_pending" jsonb NOT NULL DEFAULT '[]'`);
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "webhooks" DROP COLUMN "alert_pending"`);
  }
}
