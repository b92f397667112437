import { ConflictException, Injectable, NotFoundException } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { packRules } from '@casl/ability/extra';
import { DataSource, EntityManager } from 'typeorm';
import { PageDto, PageQueryDto, paginate } from '../kernel/pagination';
import { AuditLogService } from '../audit/audit-log.service';
import { AbilityService } from '../permissions/ability.service';
import { authorize } from '../permissions/authorize';
import { MemberRemovalHooks } from '../permissions/member-removal-hooks';
import type { WorkspaceContext } from '../permissions/workspace-context';
import { User } from '../identity/user.entity';
import { ApiKeyRepository } from '../identity/api-key.repository';
import { bumpAbilityVersion } from './ability-version';
import { CustomRole } from './custom-role.entity';
import { Membership } from './membership.entity';
import { RolesService } from './roles.service';
import { MemberPermissionsView, MemberView, UpdateMemberDto } from './workspace.dto';

@Injectable()
export class MembersService {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly abilities: AbilityService,
    private readonly removalHooks: MemberRemovalHooks,
    private readonly apiKeys: ApiKeyRepository,
    private readonly roles: RolesService,
    private readonly audit: AuditLogService,
  ) {}

  async list(ctx: WorkspaceContext, page: PageQueryDto): Promise<PageDto<MemberView>> {
    const qb = this.dataSource
      .getRepository(Membership)
      .createQueryBuilder('row')
      .innerJoinAndSelect('row.user', 'user')
      .leftJoinAndSelect('row.customRole', 'customRole')
      .where('row.workspaceId = :wid', { wid: ctx.workspaceId });
    this.abilities.scope(qb, ctx.ability, 'read', 'Member', Membership);
    // Membership has a composite key; paginate on user id as the tie-breaker.
    const result = await paginate(qb, page, (m) => m, 'user_id');
    const teams = await this.teamsOf(ctx.workspaceId, result.data.map((m) => m.userId));
    return { ...result, data: result.data.map((m) => this.view(m, teams.get(m.userId) ?? [])) };
  }

  async changeRole(ctx: WorkspaceContext, userId: string, dto: UpdateMemberDto): Promise<MemberView> {
    return this.dataSource.transaction(async (tx) => {
      const member = await this.lockMember(tx, ctx, userId);
      // A built-in name, or a custom role by id or name (400 when the workspace has no such role).
      const { role, customRole } = await this.roles.resolve(tx, ctx.workspaceId, dto.role);
      // Both the current and the new role must be manageable by the caller (only owners touch owners).
      authorize(ctx, 'update', 'Member', { userId, role: member.role });
      authorize(ctx, 'update', 'Member', { userId, role });
      if (member.role === 'owner' && role !== 'owner') await this.assertNotLastOwner(tx, ctx.workspaceId);
      const customRoleId = customRole?.id ?? null;
      if (member.role !== role || member.customRoleId !== customRoleId) {
        await tx.getRepository(Membership).update({ workspaceId: ctx.workspaceId, userId }, { role, customRoleId });
        await bumpAbilityVersion(tx, ctx.workspaceId, { userId });
        await this.audit.record(tx, {
          workspaceId: ctx.workspaceId,
          actor: ctx.actor,
          action: 'member.role_changed',
          targetType: 'member',
          targetId: userId,
          before: { role: member.role },
          after: { role: dto.role },
        });
      }
      const teams = await this.teamsOf(ctx.workspaceId, [userId], tx);
      return this.view({ ...member, role, customRoleId, customRole: customRole ?? undefined }, teams.get(userId) ?? []);
    });
  }

  /** Admins remove members; anyone may leave. The workspace always keeps an owner. */
  async remove(ctx: WorkspaceContext, userId: string): Promise<void> {
    await this.dataSource.transaction(async (tx) => {
      const member = await this.lockMember(tx, ctx, userId);
      authorize(ctx, 'delete', 'Member', { userId, role: member.role });
      if (member.role === 'owner') await this.assertNotLastOwner(tx, ctx.workspaceId);
      await tx.query('DELETE FROM team_members WHERE workspace_id = $1 AND user_id = $2', [ctx.workspaceId, userId]);
      // Their keys for this workspace are revoked, not dormant: re-adding the user must not revive them.
      await this.apiKeys.deleteForMember(tx, ctx.workspaceId, userId);
      await tx.getRepository(Membership).delete({ workspaceId: ctx.workspaceId, userId });
      // E.g. their webhooks are disabled (creator_removed) in this same transaction, not at the next event.
      await this.removalHooks.memberRemoved(tx, ctx.workspaceId, userId);
      await this.audit.record(tx, {
        workspaceId: ctx.workspaceId,
        actor: ctx.actor,
        action: 'member.removed',
        targetType: 'member',
        targetId: userId,
        before: { role: member.role },
      });
    });
  }

  /** The member's rules, packed as a front end loads them (`unpackRules` + `createMongoAbility`). */
  async permissions(ctx: WorkspaceContext, userId: string): Promise<MemberPermissionsView> {
    const access = await this.abilities.findAccess(ctx.workspaceId, userId);
    if (!access) throw new NotFoundException('Member not found');
    authorize(ctx, 'read_permissions', 'Member', { userId, role: access.role });
    const ability = await this.abilities.abilityFor(access);
    // The effective rules: for a custom role, its permissions compiled (scopes as conditions, fields).
    const [custom]: { id: string; name: string }[] =
      access.role === 'custom'
        ? await this.dataSource.query(
            'SELECT r.id, r.name FROM memberships m JOIN custom_roles r ON r.id = m.custom_role_id WHERE m.workspace_id = $1 AND m.user_id = $2',
            [ctx.workspaceId, userId],
          )
        : [];
    return { userId, role: access.role, customRole: custom ?? null, rules: packRules(ability.rules as never) };
  }

  private async lockMember(tx: EntityManager, ctx: WorkspaceContext, userId: string) {
    const member = await tx
      .getRepository(Membership)
      .createQueryBuilder('m')
      .innerJoinAndSelect('m.user', 'user')
      .leftJoinAndSelect('m.customRole', 'customRole')
      .where('m.workspace_id = :wid AND m.user_id = :userId', { wid: ctx.workspaceId, userId })
      .setLock('pessimistic_write', undefined, ['m'])
      .getOne();
    if (!member) throw new NotFoundException('Member not found');
    return member;
  }

  private async assertNotLastOwner(tx: EntityManager, workspaceId: string): Promise<void> {
    // Lock every owner row so two concurrent demotions cannot both pass.
    const owners = await tx.query(`SELECT user_id FROM memberships WHERE workspace_id = $1 AND role = 'owner' FOR UPDATE`, [workspaceId]);
    if (owners.length <= 1) throw new ConflictException('The last owner cannot be removed or demoted');
  }

  private async teamsOf(workspaceId: string, userIds: string[], manager: EntityManager = this.dataSource.manager) {
    const map = new Map<string, string[]>();
    if (!userIds.length) return map;
    const rows: { user_id: string; team_id: string }[] = await manager.query(
      'SELECT user_id, team_id FROM team_members WHERE workspace_id = $1 AND user_id = ANY($2)',
      [workspaceId, userIds],
    );
    for (const row of rows) map.set(row.user_id, [...(map.get(row.user_id) ?? []), row.team_id]);
    return map;
  }

  private view(m: Membership & { user?: User; customRole?: CustomRole }, teamIds: string[]): MemberView {
    const customRole = m.customRole ? { id: m.customRole.id, name: m.customRole.name } : null;
    return { userId: m.userId, email: m.user!.email, name: m.user!.name, role: m.role, customRole, teamIds };
  }
}
