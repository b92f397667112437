import { BadRequestException } from '@nestjs/common';
import type { EntityManager, EntityTarget, ObjectLiteral } from 'typeorm';

/** A body field naming another row of this workspace: a 400, not a foreign-key 500, when it does not. */
export async function requireReference<T extends ObjectLiteral>(
  manager: EntityManager,
  entity: EntityTarget<T>,
  workspaceId: string,
  id: string,
  field: string,
): Promise<T> {
  const row = await manager.getRepository(entity).findOne({ where: { id, workspaceId } as never });
  if (!row) {
    const noun = String(manager.connection.getMetadata(entity).tableName).replace(/s$/, '');
    throw new BadRequestException([`${field} does not name ${/^[aeiou]/.test(noun) ? 'an' : 'a'} ${noun} of this workspace`]);
  }
  return row;
}
