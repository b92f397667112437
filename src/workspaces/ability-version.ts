import type { EntityManager } from 'typeorm';

/**
 * A membership's first ability version: from the same sequence as every bump, so a member removed
 * and added again never gets back a version an ability was cached under during an earlier stay.
 */
export const NEW_ABILITY_VERSION = `nextval('membership_ability_versions')`;

/**
 * Invalidates cached abilities (see AbilityService) of one member, of every member of a team or of
 * every holder of a custom role, inside the transaction that changes their role or teams: each gets a
 * version never used before (a sequence, not +1).
 */
export async function bumpAbilityVersion(
  tx: EntityManager,
  workspaceId: string,
  who: { userId: string } | { teamId: string } | { customRoleId: string },
): Promise<void> {
  if ('customRoleId' in who) {
    await tx.query(`UPDATE memberships SET ability_version = ${NEW_ABILITY_VERSION} WHERE workspace_id = $1 AND custom_role_id = $2`, [
      workspaceId,
      who.customRoleId,
    ]);
  } else if ('userId' in who) {
    await tx.query(`UPDATE memberships SET ability_version = ${NEW_ABILITY_VERSION} WHERE workspace_id = $1 AND user_id = $2`, [
      workspaceId,
      who.userId,
    ]);
  } else {
    await tx.query(
      `UPDATE memberships SET ability_version = ${NEW_ABILITY_VERSION}
       WHERE workspace_id = $1 AND user_id IN (SELECT user_id FROM team_members WHERE team_id = $2)`,
      [workspaceId, who.teamId],
    );
  }
}
