import type { EntityManager } from 'typeorm';

/**
 * Invalidates cached abilities (see AbilityService) of one member, of every member of a team or of
 * every holder of a custom role,
 * inside the transaction that changes their role or teams.
 */
export async function bumpAbilityVersion(
  tx: EntityManager,
  workspaceId: string,
  who: { userId: string } | { teamId: string } | { customRoleId: string },
): Promise<void> {
  if ('customRoleId' in who) {
    await tx.query('UPDATE memberships SET ability_version = ability_version + 1 WHERE workspace_id = $1 AND custom_role_id = $2', [
      workspaceId,
      who.customRoleId,
    ]);
  } else if ('userId' in who) {
    await tx.query('UPDATE memberships SET ability_version = ability_version + 1 WHERE workspace_id = $1 AND user_id = $2', [
      workspaceId,
      who.userId,
    ]);
  } else {
    await tx.query(
      `UPDATE memberships SET ability_version = ability_version + 1
       WHERE workspace_id = $1 AND user_id IN (SELECT user_id FROM team_members WHERE team_id = $2)`,
      [workspaceId, who.teamId],
    );
  }
}
