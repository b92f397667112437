import { BadRequestException } from '@nestjs/common';
import type { EntityManager, EntityTarget, ObjectLiteral } from 'typeorm';

/** A body field naming another row of this workspace: a 400, not a foreign-key 500, when it does not. */
export async function requireReference<T extends ObjectLiteral>(
  manager: EntityManager,
  entity: EntityTarget<T>,
  workspaceId: string,
  id: string,
  field: string,
): Promise<void> {
  const table = manager.connection.getMetadata(entity).tableName;
  // A plain indexed lookup: no query builder on the write path.
  const rows: unknown[] = await manager.query(`SELECT 1 FROM "${table}" WHERE id = $1 AND workspace_id = $2`, [id, workspaceId]);
  if (!rows.length) {
    const noun = table.replace(/s$/, '');
    throw new BadRequestException([`${field} does not name ${/^[aeiou]/.test(noun) ? 'an' : 'a'} ${noun} of this workspace`]);
  }
}
