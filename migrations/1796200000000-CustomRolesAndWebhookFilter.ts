import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Custom roles (issue 18): a workspace's own rule sets. A membership's role is either a built-in one
 * or `custom` with `custom_role_id` naming the role; the foreign key refuses deleting a role still
 * assigned (the API answers 409 first). Webhooks get an optional `filter` (a MongoDB-style condition
 * on the event, jsonb; NULL = every event of the subscribed types).
 */
export class CustomRolesAndWebhookFilter1796200000000 implements MigrationInterface {
  name = 'CustomRolesAndWebhookFilter1796200000000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `CREATE TABLE "custom_roles" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "workspace_id" uuid NOT NULL, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "updated_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "name" text NOT NULL, "description" text, "permissions" jsonb NOT NULL, CONSTRAINT "PK_7b337026aed161643793aad5299" PRIMARY KEY ("id"))`,
    );
    await queryRunner.query(`CREATE UNIQUE INDEX "UQ_custom_roles_workspace_name" ON "custom_roles" ("workspace_id", lower("name"))`);
    await queryRunner.query(
      `ALTER TABLE "custom_roles" ADD CONSTRAINT "FK_627fee71156291db16419617e2e" FOREIGN KEY ("workspace_id") REFERENCES "workspaces"("id") ON DELETE CASCADE ON UPDATE NO ACTION`,
    );
    await queryRunner.query(`ALTER TABLE "memberships" ADD "custom_role_id" uuid`);
    await queryRunner.query(
      `ALTER TABLE "memberships" ADD CONSTRAINT "FK_5a4cf1d06eaa1cb4193c891e124" FOREIGN KEY ("custom_role_id") REFERENCES "custom_roles"("id") ON DELETE RESTRICT ON UPDATE NO ACTION`,
    );
    await queryRunner.query(`CREATE INDEX "IDX_memberships_custom_role" ON "memberships" ("custom_role_id") WHERE custom_role_id IS NOT NULL`);
    await queryRunner.query(
      `ALTER TABLE "memberships" ADD CONSTRAINT "CHK_memberships_custom_role" CHECK ((role = 'custom') = (custom_role_id IS NOT NULL))`,
    );
    await queryRunner.query(`ALTER TABLE "webhooks" ADD "filter" jsonb`);
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "webhooks" DROP COLUMN "filter"`);
    await queryRunner.query(`ALTER TABLE "memberships" DROP CONSTRAINT "CHK_memberships_custom_role"`);
    await queryRunner.query(`DROP INDEX "IDX_memberships_custom_role"`);
    await queryRunner.query(`ALTER TABLE "memberships" DROP CONSTRAINT "FK_5a4cf1d06eaa1cb4193c891e124"`);
    await queryRunner.query(`ALTER TABLE "memberships" DROP COLUMN "custom_role_id"`);
    await queryRunner.query(`DROP TABLE "custom_roles"`);
  }
}
