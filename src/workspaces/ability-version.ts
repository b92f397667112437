import type { EntityManager } from 'typeorm';

/**
 * Invalidates cached abilities (see AbilityService) of one member, or of every member of a team,
 * inside the transaction that changes their role or teams.
 */
export async function bumpAbilityVersion(
  tx: EntityManager,
  workspaceId: string,
  who: { userId: string } | { teamId: string },
): Promise<void> {
  if ('userId' in who) {
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
