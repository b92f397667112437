import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityTarget, ObjectLiteral, SelectQueryBuilder } from 'typeorm';
import type { MemberRole } from '../workspaces/role';
import { defineAbilityFor } from './ability.factory';
import { can } from './authorize';
import type { RolePermission } from './custom-role';
import { abilityToSql } from './rules-to-sql';
import type { Action, AppAbility, SubjectType } from './subjects';

export interface MemberAccess {
  workspaceId: string;
  userId: string;
  role: MemberRole;
  abilityVersion: number;
}

const CACHE_LIMIT = 10_000;

/**
 * Builds and caches CASL abilities. The cache key includes the membership's `abilityVersion`,
 * which every role or team change bumps in the same transaction: a stale ability is never served,
 * in this process or any other, and the only cost of a change is one rebuild.
 */
@Injectable()
export class AbilityService {
  private readonly cache = new Map<string, AppAbility>();

  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  /** The member's current role and version, or null when the user is not a member. */
  async findAccess(workspaceId: string, userId: string): Promise<MemberAccess | null> {
    const rows: { role: MemberRole; ability_version: number }[] = await this.dataSource.query(
      'SELECT role, ability_version FROM memberships WHERE workspace_id = $1 AND user_id = $2',
      [workspaceId, userId],
    );
    return rows[0] ? { workspaceId, userId, role: rows[0].role, abilityVersion: rows[0].ability_version } : null;
  }

  async abilityFor(access: MemberAccess): Promise<AppAbility> {
    const key = `${access.workspaceId}:${access.userId}:${access.abilityVersion}:${access.role}`;
    const cached = this.cache.get(key);
    if (cached) return cached;
    const teams: { team_id: string }[] = await this.dataSource.query(
      'SELECT team_id FROM team_members WHERE workspace_id = $1 AND user_id = $2',
      [access.workspaceId, access.userId],
    );
    // A custom role's permissions: changing them bumps the version of every holder (like a role change).
    const permissions =
      access.role === 'custom'
        ? (((await this.dataSource.query(
            `SELECT r.permissions FROM memberships m JOIN custom_roles r ON r.id = m.custom_role_id WHERE m.workspace_id = $1 AND m.user_id = $2`,
            [access.workspaceId, access.userId],
          )) as { permissions: RolePermission[] }[])[0]?.permissions ?? [])
        : undefined;
    const ability = defineAbilityFor({ userId: access.userId, role: access.role, teamIds: teams.map((t) => t.team_id), permissions });
    if (this.cache.size >= CACHE_LIMIT) this.cache.delete(this.cache.keys().next().value as string);
    this.cache.set(key, ability);
    return ability;
  }

  /** "Can this user read this object?" — asked by other modules, e.g. for every event fan-out. */
  async canRead(workspaceId: string, userId: string, subjectType: SubjectType, object: object): Promise<boolean> {
    const access = await this.findAccess(workspaceId, userId);
    if (!access) return false;
    return can(await this.abilityFor(access), 'read', subjectType, object);
  }

  /** Restricts a query on `entity` (aliased `alias`) to the rows the ability allows for `action`. */
  scope<T extends ObjectLiteral>(
    qb: SelectQueryBuilder<T>,
    ability: AppAbility,
    action: Action,
    subjectType: SubjectType,
    entity: EntityTarget<T>,
  ): SelectQueryBuilder<T> {
    const filter = abilityToSql(ability, action, subjectType, qb.alias, this.dataSource.getMetadata(entity));
    return qb.andWhere(filter.sql, filter.params);
  }
}
