import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager, SelectQueryBuilder } from 'typeorm';
import { ApiKey } from './api-key.entity';

/**
 * The api_keys table (identity's: a key is a credential). The routes that manage keys are a
 * workspace's (workspaces/api-keys.service.ts, under its policy); they and the member removal
 * change the table only through here. The AuthGuard reads it by hash on every request.
 */
@Injectable()
export class ApiKeyRepository {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  /** Inside the caller's transaction (tx) when given: the workspace writes its audit entry in the same one. */
  insert(key: Pick<ApiKey, 'workspaceId' | 'userId' | 'name' | 'prefix' | 'keyHash' | 'expiresAt'>, tx?: EntityManager): Promise<ApiKey> {
    return (tx ?? this.dataSource.manager).getRepository(ApiKey).save(key);
  }

  /** The workspace's keys as a query (alias `k`), for the caller to scope by its ability and page. */
  inWorkspace(workspaceId: string): SelectQueryBuilder<ApiKey> {
    return this.dataSource.getRepository(ApiKey).createQueryBuilder('k').where('k.workspaceId = :wid', { wid: workspaceId });
  }

  /** Deleted, not flagged: the auth guard looks keys up on every request, so it stops working at once. */
  async delete(id: string, tx?: EntityManager): Promise<void> {
    await (tx ?? this.dataSource.manager).getRepository(ApiKey).delete({ id });
  }

  /** A member leaves a workspace (inside the removal's transaction): their keys there stop at once. */
  async deleteForMember(tx: EntityManager, workspaceId: string, userId: string): Promise<void> {
    await tx.query('DELETE FROM api_keys WHERE workspace_id = $1 AND user_id = $2', [workspaceId, userId]);
  }

  /** Every key of a user, in every workspace (an address proven by its real owner: keys made before are not theirs). */
  async deleteForUser(tx: EntityManager, userId: string): Promise<void> {
    await tx.query('DELETE FROM api_keys WHERE user_id = $1', [userId]);
  }
}
