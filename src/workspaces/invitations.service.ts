import { AuditLogService } from '../audit/audit-log.service';
import { ConflictException, ForbiddenException, Injectable, NotFoundException } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import { PageDto, PageQueryDto, paginate } from '../kernel/pagination';
import { UserDirectory } from '../identity/user-directory';
import { EventPublisher } from '../events/event-publisher.service';
import type { Principal } from '../kernel/principal';
import { authorize } from '../permissions/authorize';
import type { WorkspaceContext } from '../permissions/workspace-context';
import { INVITATION_CREATED, INVITATION_TTL_MS } from './invitation-events';
import { AcceptedInvitationView, CreateInvitationDto, InvitationView, MyInvitationView, toInvitationView } from './invitation.dto';
import { Invitation } from './invitation.entity';
import { NEW_ABILITY_VERSION } from './ability-version';

/**
 * Invitations replace adding people directly: a membership exists only once the verified owner of
 * the invited address accepts. Whoever registered the address first gains nothing by it.
 */
@Injectable()
export class InvitationsService {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly events: EventPublisher,
    private readonly users: UserDirectory,
    private readonly audit: AuditLogService,
  ) {}

  async create(ctx: WorkspaceContext, dto: CreateInvitationDto): Promise<InvitationView> {
    // Only an owner invites an owner.
    authorize(ctx, 'create', 'Invitation', { role: dto.role });
    const email = dto.email.toLowerCase();
    return this.dataSource.transaction(async (tx) => {
      const userId = await this.users.idByEmail(email, tx);
      const member = userId ? await tx.query('SELECT 1 FROM memberships WHERE workspace_id = $1 AND user_id = $2', [ctx.workspaceId, userId]) : [];
      if (member.length) throw new ConflictException('That address already belongs to a member of this workspace');
      // A lapsed invitation no longer holds the address's one pending slot.
      await tx.query(
        `UPDATE invitations SET status = 'expired', responded_at = now()
         WHERE workspace_id = $1 AND email = $2 AND status = 'pending' AND expires_at <= now()`,
        [ctx.workspaceId, email],
      );
      const rows: { id: string }[] = await tx.query(
        `INSERT INTO invitations (workspace_id, email, role, invited_by_id, expires_at)
         VALUES ($1, $2, $3, $4, now() + ($5 || ' milliseconds')::interval)
         ON CONFLICT (workspace_id, email) WHERE status = 'pending' DO NOTHING RETURNING id`,
        [ctx.workspaceId, email, dto.role, ctx.userId, INVITATION_TTL_MS],
      );
      if (!rows[0]) throw new ConflictException('That address already has a pending invitation to this workspace; revoke it to invite again');
      await this.events.publish(tx, { type: INVITATION_CREATED, workspaceId: ctx.workspaceId, actor: ctx.actor, object: { id: rows[0].id, email, role: dto.role } });
      await this.audit.record(tx, {
        workspaceId: ctx.workspaceId,
        actor: ctx.actor,
        action: 'invitation.created',
        targetType: 'invitation',
        targetId: rows[0].id,
        after: { email, role: dto.role },
      });
      return toInvitationView(await tx.getRepository(Invitation).findOneByOrFail({ id: rows[0].id }));
    });
  }

  list(ctx: WorkspaceContext, page: PageQueryDto): Promise<PageDto<InvitationView>> {
    const qb = this.dataSource.getRepository(Invitation).createQueryBuilder('i').where('i.workspaceId = :wid', { wid: ctx.workspaceId });
    return paginate(qb, page, toInvitationView);
  }

  /** Revoked by whoever could have sent it (an admin cannot revoke an invitation to become owner). */
  async revoke(ctx: WorkspaceContext, id: string): Promise<void> {
    await this.dataSource.transaction(async (tx) => {
      const invitation = await this.lock(tx, id, ctx.workspaceId);
      authorize(ctx, 'delete', 'Invitation', invitation);
      if (invitation.status !== 'pending') throw new ConflictException(`This invitation is already ${invitation.status}`);
      await tx.query(`UPDATE invitations SET status = 'revoked', responded_at = now() WHERE id = $1`, [id]);
      await this.audit.record(tx, {
        workspaceId: ctx.workspaceId,
        actor: ctx.actor,
        action: 'invitation.revoked',
        targetType: 'invitation',
        targetId: id,
        before: { email: invitation.email, role: invitation.role },
      });
    });
  }

  /** Pending invitations to the caller's address; only once they have proven it is theirs. */
  async listMine(principal: Principal, page: PageQueryDto): Promise<PageDto<MyInvitationView>> {
    const me = await this.verifiedAddress(this.dataSource.manager, principal.userId);
    const qb = this.dataSource
      .getRepository(Invitation)
      .createQueryBuilder('i')
      .innerJoinAndSelect('i.workspace', 'w')
      .leftJoinAndSelect('i.invitedBy', 'by')
      .where(`i.email = :email AND i.status = 'pending' AND i.expiresAt > now()`, { email: me });
    return paginate(qb, page, (row) => ({ ...toInvitationView(row), workspaceName: row.workspace!.name, invitedByName: row.invitedBy?.name ?? null }));
  }

  async accept(principal: Principal, id: string): Promise<AcceptedInvitationView> {
    return this.dataSource.transaction(async (tx) => {
      const invitation = await this.answerable(tx, principal, id);
      const inserted = await tx.query(
        `INSERT INTO memberships (workspace_id, user_id, role, ability_version) VALUES ($1, $2, $3, ${NEW_ABILITY_VERSION}) ON CONFLICT DO NOTHING RETURNING user_id`,
        [invitation.workspaceId, principal.userId, invitation.role],
      );
      if (!inserted.length) throw new ConflictException('You are already a member of this workspace');
      await tx.query(`UPDATE invitations SET status = 'accepted', responded_at = now() WHERE id = $1`, [id]);
      await this.audit.record(tx, {
        workspaceId: invitation.workspaceId,
        actor: { type: 'user', id: principal.userId },
        action: 'invitation.accepted',
        targetType: 'invitation',
        targetId: id,
        after: { role: invitation.role },
      });
      return { workspaceId: invitation.workspaceId, role: invitation.role };
    });
  }

  async decline(principal: Principal, id: string): Promise<void> {
    await this.dataSource.transaction(async (tx) => {
      const invitation = await this.answerable(tx, principal, id);
      await tx.query(`UPDATE invitations SET status = 'declined', responded_at = now() WHERE id = $1`, [id]);
      await this.audit.record(tx, {
        workspaceId: invitation.workspaceId,
        actor: { type: 'user', id: principal.userId },
        action: 'invitation.declined',
        targetType: 'invitation',
        targetId: id,
      });
    });
  }

  /**
   * The invitation, locked, if the caller may answer it: their address must be the invited one and
   * verified (403 otherwise, so registering someone's address first gets nobody in), and it must
   * still be pending (409).
   */
  private async answerable(tx: EntityManager, principal: Principal, id: string): Promise<Invitation> {
    const invitation = await this.lock(tx, id);
    const user = await this.users.address(principal.userId, tx);
    if (user?.email !== invitation.email) throw new ForbiddenException('This invitation is addressed to another e-mail address');
    if (!user.verified) throw new ForbiddenException('Verify your e-mail address before answering invitations');
    if (invitation.status !== 'pending') throw new ConflictException(`This invitation is already ${invitation.status}`);
    if (invitation.expiresAt.getTime() <= Date.now()) throw new ConflictException('This invitation has expired: ask for a new one');
    return invitation;
  }

  private async lock(tx: EntityManager, id: string, workspaceId?: string): Promise<Invitation> {
    const invitation = await tx
      .getRepository(Invitation)
      .createQueryBuilder('i')
      .where(workspaceId ? 'i.id = :id AND i.workspaceId = :workspaceId' : 'i.id = :id', { id, workspaceId })
      .setLock('pessimistic_write')
      .getOne();
    if (!invitation) throw new NotFoundException('Invitation not found');
    return invitation;
  }

  private async verifiedAddress(manager: EntityManager, userId: string): Promise<string> {
    const user = await this.users.address(userId, manager);
    if (!user?.verified) throw new ForbiddenException('Verify your e-mail address to see the invitations sent to it');
    return user.email;
  }
}
