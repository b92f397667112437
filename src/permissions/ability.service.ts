import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityTarget, ObjectLiteral, SelectQueryBuilder } from 'typeorm';
import { AccessReader, MemberAccess } from './access-reader';
import { defineAbilityFor } from './ability.factory';
import { can } from './authorize';
import { abilityToSql } from './rules-to-sql';
import type { Action, AppAbility, SubjectType } from './subjects';

export type { MemberAccess };

const CACHE_LIMIT = 10_000;

/**
 * Builds and caches CASL abilities. The cache key includes the membership's `abilityVersion`,
 * which every role or team change bumps in the same transaction: a stale ability is never served,
 * in this process or any other, and the only cost of a change is one rebuild.
 */
@Injectable()
export class AbilityService {
  private readonly cache = new Map<string, AppAbility>();

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly access: AccessReader,
  ) {}

  /** The member's current role and version, or null when the user is not a member. */
  findAccess(workspaceId: string, userId: string): Promise<MemberAccess | null> {
    return this.access.findAccess(workspaceId, userId);
  }

  async abilityFor(access: MemberAccess): Promise<AppAbility> {
    const key = `${access.workspaceId}:${access.userId}:${access.abilityVersion}:${access.role}`;
    const cached = this.cache.get(key);
    if (cached) return cached;
    const teamIds = await this.access.teamIds(access.workspaceId, access.userId);
    // A custom role's permissions: changing them bumps the version of every holder (like a role change).
    const permissions = access.role === 'custom' ? await this.access.customRolePermissions(access.workspaceId, access.userId) : undefined;
    const ability = defineAbilityFor({ userId: access.userId, role: access.role, teamIds, permissions });
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
