import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { UserMemberships } from '../identity/user-memberships';
import type { RolePermission } from './custom-role';
import type { MemberRole } from './role';

/**
 * For a statement that must read a row's owner's access in the same round trip (delivery's hot
 * paths): `LEFT JOIN` of the member `userCol` of workspace `workspaceCol`, aliased `alias`, whose
 * `${alias}.role` (null: not a member) and `${alias}.ability_version` the statement selects.
 * Memberships' SQL stays here; the caller never names the table.
 */
export function memberAccessJoin(alias: string, workspaceCol: string, userCol: string): string {
  return `LEFT JOIN memberships ${alias} ON ${alias}.workspace_id = ${workspaceCol} AND ${alias}.user_id = ${userCol}`;
}

export interface MemberAccess {
  workspaceId: string;
  userId: string;
  role: MemberRole;
  abilityVersion: number;
}

/**
 * The reads that access checks need, of tables the workspaces module owns and writes (memberships,
 * team_members, custom_roles; and a workspace's name, for mails to its members). Nothing here writes; every other module asks this (or AbilityService) rather
 * than querying those tables for an access decision.
 */
@Injectable()
export class AccessReader implements UserMemberships {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  /** The member's current role and version, or null when the user is not a member. */
  async findAccess(workspaceId: string, userId: string): Promise<MemberAccess | null> {
    const rows: { role: MemberRole; ability_version: number }[] = await this.dataSource.query(
      'SELECT role, ability_version FROM memberships WHERE workspace_id = $1 AND user_id = $2',
      [workspaceId, userId],
    );
    return rows[0] ? { workspaceId, userId, role: rows[0].role, abilityVersion: rows[0].ability_version } : null;
  }

  /** The teams the member belongs to (their ability's team rules). */
  async teamIds(workspaceId: string, userId: string): Promise<string[]> {
    const teams: { team_id: string }[] = await this.dataSource.query('SELECT team_id FROM team_members WHERE workspace_id = $1 AND user_id = $2', [
      workspaceId,
      userId,
    ]);
    return teams.map((t) => t.team_id);
  }

  /** A custom role holder's permissions (none when the member holds a built-in role). */
  async customRolePermissions(workspaceId: string, userId: string): Promise<RolePermission[]> {
    const rows: { permissions: RolePermission[] }[] = await this.dataSource.query(
      'SELECT r.permissions FROM memberships m JOIN custom_roles r ON r.id = m.custom_role_id WHERE m.workspace_id = $1 AND m.user_id = $2',
      [workspaceId, userId],
    );
    return rows[0]?.permissions ?? [];
  }

  /** The custom role a member holds, if any. */
  async customRoleOf(workspaceId: string, userId: string): Promise<{ id: string; name: string } | null> {
    const rows: { id: string; name: string }[] = await this.dataSource.query(
      'SELECT r.id, r.name FROM memberships m JOIN custom_roles r ON r.id = m.custom_role_id WHERE m.workspace_id = $1 AND m.user_id = $2',
      [workspaceId, userId],
    );
    return rows[0] ?? null;
  }

  /** The members of a workspace holding one of `roles`, plus `alsoUserId` while they are a member: user ids. */
  async memberIds(workspaceId: string, roles: readonly MemberRole[], alsoUserId: string | null = null): Promise<string[]> {
    const rows: { user_id: string }[] = await this.dataSource.query(
      'SELECT user_id FROM memberships WHERE workspace_id = $1 AND (role = ANY($2::text[]) OR user_id = $3)',
      [workspaceId, roles, alsoUserId],
    );
    return rows.map((r) => r.user_id);
  }

  /** A workspace's display name (for mails about it), or null when it is gone. */
  async workspaceName(workspaceId: string): Promise<string | null> {
    const rows: { name: string }[] = await this.dataSource.query('SELECT name FROM workspaces WHERE id = $1', [workspaceId]);
    return rows[0]?.name ?? null;
  }

  async listForUser(userId: string): Promise<{ workspaceId: string; role: string }[]> {
    const memberships: { workspace_id: string; role: string }[] = await this.dataSource.query(
      'SELECT workspace_id, role FROM memberships WHERE user_id = $1 ORDER BY created_at',
      [userId],
    );
    return memberships.map((m) => ({ workspaceId: m.workspace_id, role: m.role }));
  }
}
