import { MigrationInterface, QueryRunner } from "typeorm";

/**
 * Issue 14: verified e-mail, mailed single-use tokens, invitations, session details, API key expiry.
 * Existing accounts start unverified: nobody proved their address yet.
 */
export class Accounts1796156719273 implements MigrationInterface {
    name = 'Accounts1796156719273'

    public async up(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query(`CREATE TABLE "account_tokens" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "user_id" uuid NOT NULL, "purpose" text NOT NULL, "token_hash" text NOT NULL, "email" text NOT NULL, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "expires_at" TIMESTAMP WITH TIME ZONE NOT NULL, CONSTRAINT "PK_5e3640c493cc6206a44b885e6a9" PRIMARY KEY ("id"))`);
        await queryRunner.query(`CREATE INDEX "IDX_1b5fea09efc20c7f63c4a09b3d" ON "account_tokens"  ("user_id") `);
        await queryRunner.query(`CREATE UNIQUE INDEX "IDX_167033390a71c52224c7c636c8" ON "account_tokens"  ("token_hash") `);
        await queryRunner.query(`CREATE TABLE "invitations" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "workspace_id" uuid NOT NULL, "email" text NOT NULL, "role" text NOT NULL, "status" text NOT NULL DEFAULT 'pending', "invited_by_id" uuid, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "expires_at" TIMESTAMP WITH TIME ZONE NOT NULL, "responded_at" TIMESTAMP WITH TIME ZONE, CONSTRAINT "PK_5dec98cfdfd562e4ad3648bbb07" PRIMARY KEY ("id"))`);
        await queryRunner.query(`CREATE INDEX "IDX_97ab59cb592c7cec109741b592" ON "invitations"  ("email") `);
        await queryRunner.query(`CREATE UNIQUE INDEX "idx_invitations_pending" ON "invitations"  ("workspace_id", "email") WHERE status = 'pending'`);
        await queryRunner.query(`CREATE INDEX "IDX_294a2cc0b236836543784a73bc" ON "invitations"  ("workspace_id", "created_at") `);
        await queryRunner.query(`ALTER TABLE "users" ADD "email_verified_at" TIMESTAMP WITH TIME ZONE`);
        await queryRunner.query(`ALTER TABLE "access_tokens" ADD "last_used_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now()`);
        await queryRunner.query(`ALTER TABLE "access_tokens" ADD "user_agent" text`);
        await queryRunner.query(`ALTER TABLE "api_keys" ADD "expires_at" TIMESTAMP WITH TIME ZONE`);
        await queryRunner.query(`ALTER TABLE "api_keys" ADD "last_used_at" TIMESTAMP WITH TIME ZONE`);
        await queryRunner.query(`ALTER TABLE "account_tokens" ADD CONSTRAINT "FK_1b5fea09efc20c7f63c4a09b3d6" FOREIGN KEY ("user_id") REFERENCES "users"("id") ON DELETE CASCADE ON UPDATE NO ACTION`);
        await queryRunner.query(`ALTER TABLE "invitations" ADD CONSTRAINT "FK_37d2c3ed527014368be5302bdec" FOREIGN KEY ("workspace_id") REFERENCES "workspaces"("id") ON DELETE CASCADE ON UPDATE NO ACTION`);
        await queryRunner.query(`ALTER TABLE "invitations" ADD CONSTRAINT "FK_d4de0403dd012cf87b430af70ef" FOREIGN KEY ("invited_by_id") REFERENCES "users"("id") ON DELETE SET NULL ON UPDATE NO ACTION`);
    }

    public async down(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query(`ALTER TABLE "invitations" DROP CONSTRAINT "FK_d4de0403dd012cf87b430af70ef"`);
        await queryRunner.query(`ALTER TABLE "invitations" DROP CONSTRAINT "FK_37d2c3ed527014368be5302bdec"`);
        await queryRunner.query(`ALTER TABLE "account_tokens" DROP CONSTRAINT "FK_1b5fea09efc20c7f63c4a09b3d6"`);
        await queryRunner.query(`ALTER TABLE "api_keys" DROP COLUMN "last_used_at"`);
        await queryRunner.query(`ALTER TABLE "api_keys" DROP COLUMN "expires_at"`);
        await queryRunner.query(`ALTER TABLE "access_tokens" DROP COLUMN "user_agent"`);
        await queryRunner.query(`ALTER TABLE "access_tokens" DROP COLUMN "last_used_at"`);
        await queryRunner.query(`ALTER TABLE "users" DROP COLUMN "email_verified_at"`);
        await queryRunner.query(`DROP INDEX "public"."IDX_294a2cc0b236836543784a73bc"`);
        await queryRunner.query(`DROP INDEX "public"."idx_invitations_pending"`);
        await queryRunner.query(`DROP INDEX "public"."IDX_97ab59cb592c7cec109741b592"`);
        await queryRunner.query(`DROP TABLE "invitations"`);
        await queryRunner.query(`DROP INDEX "public"."IDX_167033390a71c52224c7c636c8"`);
        await queryRunner.query(`DROP INDEX "public"."IDX_1b5fea09efc20c7f63c4a09b3d"`);
        await queryRunner.query(`DROP TABLE "account_tokens"`);
    }

}
