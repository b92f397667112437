import { BadRequestException } from '@nestjs/common';
import type { EntityManager } from 'typeorm';

/**
 * A body field naming a team of the workspace (resources' teamId): a 400, not a foreign-key 500,
 * when it does not. The teams table is this module's; resources ask here, inside their own
 * transaction (`manager`), rather than querying it.
 */
export async function requireTeam(manager: EntityManager, workspaceId: string, teamId: string, field = 'teamId'): Promise<void> {
  // A plain indexed lookup: no query builder on the write path.
  const rows: unknown[] = await manager.query('SELECT 1 FROM teams WHERE id = $1 AND workspace_id = $2', [teamId, workspaceId]);
  if (!rows.length) throw new BadRequestException([`${field} does not name a team of this workspace`]);
}
