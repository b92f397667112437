import { BadRequestException, ConflictException, Injectable, NotFoundException } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { isUUID } from 'class-validator';
import { DataSource, EntityManager } from 'typeorm';
import { AuditLogService } from '../audit/audit-log.service';
import { EVENT_SUBJECTS, EventSubject } from '../events/event-catalog';
import { eventSchema } from '../events/event-schemas';
import { CustomRoleSubject, permissionProblems, RolePermission } from '../permissions/custom-role';
import { invariantViolations } from '../permissions/role-invariants';
import type { WorkspaceContext } from '../permissions/workspace-context';
import { bumpAbilityVersion } from './ability-version';
import { CustomRole } from './custom-role.entity';
import { MemberRole, ROLES } from '../permissions/role';
import { CreateRoleDto, RoleView, toRoleView, UpdateRoleDto } from './role.dto';

const BUILT_IN_DESCRIPTIONS: Record<(typeof ROLES)[number], string> = {
  owner: 'Everything, including the workspace itself and other owners',
  admin: 'Everything except deleting the workspace and managing owners',
  member: 'Reads the workspace; creates and updates investments and valuations of their teams, pipelines, their own memos and webhooks',
  viewer: 'Reads the workspace, pipelines, investments and valuations of their teams, workspace memos',
};

/** The readable fields of a resource: the properties of its view (the event payload's `data.object`). */
export function resourceFields(subject: CustomRoleSubject): string[] | null {
  const eventSubject = (Object.keys(EVENT_SUBJECTS) as EventSubject[]).find((s) => EVENT_SUBJECTS[s].casl === subject);
  if (!eventSubject) return null;
  const data = eventSchema(`${eventSubject}.created`).properties as Record<string, { properties: Record<string, { properties: object }> }>;
  return Object.keys(data.data.properties.object.properties);
}

/**
 * Custom roles: the workspace's own rule sets next to the four built-in ones. Every change of a role's
 * permissions bumps the ability version of each member holding it, in the same transaction, so guards,
 * list SQL and webhook fan-out follow on the very next request and event.
 */
@Injectable()
export class RolesService {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly audit: AuditLogService,
  ) {}

  /** A role as the audit log shows it, before and after a change. */
  private static audited(row: CustomRole) {
    return { name: row.name, description: row.description, permissions: row.permissions };
  }

  async list(ctx: WorkspaceContext): Promise<RoleView[]> {
    const counts = await this.memberCounts(ctx.workspaceId);
    const builtIn: RoleView[] = ROLES.map((name) => ({
      id: name,
      name,
      description: BUILT_IN_DESCRIPTIONS[name],
      builtIn: true,
      permissions: null,
      memberCount: counts.get(name) ?? 0,
      createdAt: null,
      updatedAt: null,
    }));
    const custom = await this.dataSource.getRepository(CustomRole).find({ where: { workspaceId: ctx.workspaceId }, order: { name: 'ASC' } });
    return [...builtIn, ...custom.map((r) => toRoleView(r, counts.get(r.id) ?? 0))];
  }

  async get(ctx: WorkspaceContext, id: string): Promise<RoleView> {
    const row = await this.find(this.dataSource.manager, ctx.workspaceId, id);
    return toRoleView(row, (await this.memberCounts(ctx.workspaceId)).get(row.id) ?? 0);
  }

  async create(ctx: WorkspaceContext, dto: CreateRoleDto): Promise<RoleView> {
    const name = this.checkName(dto.name);
    const permissions = this.checkPermissions(dto.permissions);
    return this.dataSource.transaction(async (tx) => {
      await this.assertNameFree(tx, ctx.workspaceId, name);
      const row = await tx.getRepository(CustomRole).save({ workspaceId: ctx.workspaceId, name, description: dto.description ?? null, permissions });
      await this.audit.record(tx, { workspaceId: ctx.workspaceId, actor: ctx.actor, action: 'role.created', targetType: 'role', targetId: row.id, after: RolesService.audited(row) });
      return toRoleView(row, 0);
    });
  }

  async update(ctx: WorkspaceContext, id: string, dto: UpdateRoleDto): Promise<RoleView> {
    const name = dto.name === undefined ? undefined : this.checkName(dto.name);
    const permissions = dto.permissions === undefined ? undefined : this.checkPermissions(dto.permissions);
    return this.dataSource.transaction(async (tx) => {
      const row = await this.find(tx, ctx.workspaceId, id, true);
      const before = RolesService.audited(row);
      if (name !== undefined && name.toLowerCase() !== row.name.toLowerCase()) await this.assertNameFree(tx, ctx.workspaceId, name);
      const patch: Partial<CustomRole> = {};
      if (name !== undefined) patch.name = name;
      if (dto.description !== undefined) patch.description = dto.description;
      if (permissions !== undefined) patch.permissions = permissions;
      Object.assign(row, patch);
      await tx.getRepository(CustomRole).save(row);
      // Every holder's cached ability is stale from this commit on.
      if (permissions !== undefined) await bumpAbilityVersion(tx, ctx.workspaceId, { customRoleId: row.id });
      await this.audit.record(tx, { workspaceId: ctx.workspaceId, actor: ctx.actor, action: 'role.updated', targetType: 'role', targetId: row.id, before, after: RolesService.audited(row) });
      return toRoleView(row, (await this.memberCounts(ctx.workspaceId, tx)).get(row.id) ?? 0);
    });
  }

  /** 409 while any member holds the role (the foreign key refuses it too). */
  async remove(ctx: WorkspaceContext, id: string): Promise<void> {
    await this.dataSource.transaction(async (tx) => {
      const row = await this.find(tx, ctx.workspaceId, id, true);
      const holders = (await this.memberCounts(ctx.workspaceId, tx)).get(row.id) ?? 0;
      if (holders > 0) {
        throw new ConflictException(`The role "${row.name}" is assigned to ${holders} member(s): give them another role first`);
      }
      await tx.getRepository(CustomRole).delete({ id: row.id });
      await this.audit.record(tx, { workspaceId: ctx.workspaceId, actor: ctx.actor, action: 'role.deleted', targetType: 'role', targetId: row.id, before: RolesService.audited(row) });
    });
  }

  /**
   * A role given to PATCH /members/:userId: a built-in name, or a custom role's id or name
   * (case-insensitive). 400 when there is no such role in this workspace.
   */
  async resolve(tx: EntityManager, workspaceId: string, role: string): Promise<{ role: MemberRole; customRole: CustomRole | null }> {
    if ((ROLES as readonly string[]).includes(role)) return { role: role as MemberRole, customRole: null };
    const qb = tx.getRepository(CustomRole).createQueryBuilder('r').where('r.workspace_id = :workspaceId', { workspaceId });
    if (isUUID(role)) qb.andWhere('r.id = :id', { id: role.toLowerCase() });
    else qb.andWhere('lower(r.name) = lower(:name)', { name: role });
    const found = await qb.getOne();
    if (!found) {
      throw new BadRequestException([`role must be one of ${ROLES.join(', ')}, or the id or name of a custom role of this workspace (GET …/roles)`]);
    }
    return { role: 'custom', customRole: found };
  }

  private async find(manager: EntityManager, workspaceId: string, id: string, forUpdate = false): Promise<CustomRole> {
    const qb = manager.getRepository(CustomRole).createQueryBuilder('r').where('r.workspace_id = :workspaceId AND r.id = :id', { workspaceId, id });
    if (forUpdate) qb.setLock('pessimistic_write');
    const row = await qb.getOne();
    if (!row) throw new NotFoundException('Role not found (built-in roles cannot be changed)');
    return row;
  }

  private checkName(raw: string): string {
    const name = raw.trim();
    if (!name) throw new BadRequestException(['name must not be empty']);
    if ((ROLES as readonly string[]).includes(name.toLowerCase()) || name.toLowerCase() === 'custom') {
      throw new BadRequestException([`name "${name}" is reserved for a built-in role`]);
    }
    if (isUUID(name)) throw new BadRequestException(['name must not be a UUID (roles are assigned by id or name)']);
    return name;
  }

  /** The invariants and per-subject rules (permissions.md "Custom roles"): 400 naming each broken one. */
  private checkPermissions(input: RolePermission[]): RolePermission[] {
    const problems = permissionProblems(input, resourceFields);
    if (problems.length) throw new BadRequestException(problems);
    // Stored exactly as validated (class instances → plain JSON, no unknown keys).
    const permissions = input.map((p) => ({ subject: p.subject, actions: [...p.actions], scope: p.scope, ...(p.fields ? { fields: [...p.fields] } : {}) }));
    // And on the compiled rules: whatever the compiler does, a role breaking an invariant is never saved.
    const violations = invariantViolations(permissions);
    if (violations.length) throw new BadRequestException(violations);
    return permissions;
  }

  private async assertNameFree(tx: EntityManager, workspaceId: string, name: string): Promise<void> {
    const [taken] = await tx.query('SELECT 1 FROM custom_roles WHERE workspace_id = $1 AND lower(name) = lower($2)', [workspaceId, name]);
    if (taken) throw new ConflictException(`A role named "${name}" already exists in this workspace`);
  }

  /** Members per role: built-in names and custom role ids. */
  private async memberCounts(workspaceId: string, manager: EntityManager = this.dataSource.manager): Promise<Map<string, number>> {
    const rows: { key: string; n: number }[] = await manager.query(
      `SELECT COALESCE(custom_role_id::text, role) AS key, count(*)::int AS n FROM memberships WHERE workspace_id = $1 GROUP BY 1`,
      [workspaceId],
    );
    return new Map(rows.map((r) => [r.key, r.n]));
  }
}
