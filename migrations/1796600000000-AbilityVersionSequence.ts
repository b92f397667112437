import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Ability versions drawn from one sequence instead of counted per membership from 1. Cached CASL
 * abilities are keyed by (workspace, user, version, role): a member removed and added again started
 * over at 1 and could meet an ability cached during their first stay (other teams, another custom
 * role). Values from the sequence are never handed out twice.
 */
export class AbilityVersionSequence1796600000000 implements MigrationInterface {
  name = 'AbilityVersionSequence1796600000000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`CREATE SEQUENCE "membership_ability_versions" AS integer`);
    // Above every version handed out so far.
    await queryRunner.query(`SELECT setval('membership_ability_versions', GREATEST((SELECT max(ability_version) FROM memberships), 1))`);
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP SEQUENCE "membership_ability_versions"`);
  }
}
