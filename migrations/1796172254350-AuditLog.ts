import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The workspace audit log (issue 16). Append-only: a trigger refuses every UPDATE; rows are only
 * ever deleted by the retention purge (AUDIT_LOG_RETENTION). No foreign key to workspaces: the log
 * of a deleted workspace stays until its retention ends.
 */
export class AuditLog1796172254350 implements MigrationInterface {
  name = 'AuditLog1796172254350';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `CREATE TABLE "audit_log" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "workspace_id" uuid NOT NULL, "action" text NOT NULL, "actor_type" text NOT NULL, "actor_id" uuid, "target_type" text, "target_id" text, "before" jsonb, "after" jsonb, "ip" text, "user_agent" text, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "PK_07fefa57f7f5ab8fc3f52b3ed0b" PRIMARY KEY ("id"))`,
    );
    await queryRunner.query(`CREATE INDEX "IDX_f74fedf7a1d28c36aebf79f2a4" ON "audit_log"  ("workspace_id", "created_at") `);
    await queryRunner.query(
      `CREATE FUNCTION audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
       BEGIN RAISE EXCEPTION 'audit_log is append-only'; END $$`,
    );
    await queryRunner.query(`CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON "audit_log" FOR EACH ROW EXECUTE FUNCTION audit_log_append_only()`);
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TRIGGER audit_log_no_update ON "audit_log"`);
    await queryRunner.query(`DROP FUNCTION audit_log_append_only()`);
    await queryRunner.query(`DROP INDEX "public"."IDX_f74fedf7a1d28c36aebf79f2a4"`);
    await queryRunner.query(`DROP TABLE "audit_log"`);
  }
}
