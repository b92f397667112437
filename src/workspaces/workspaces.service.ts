import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { PageDto, PageQueryDto, paginate } from '../kernel/pagination';
import type { Principal } from '../kernel/principal';
import type { WorkspaceContext } from '../permissions/workspace-context';
import { Membership } from './membership.entity';
import { toWorkspaceView, WorkspaceDto, WorkspaceView } from './workspace.dto';
import { Workspace } from './workspace.entity';

@Injectable()
export class WorkspacesService {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  /** The creator becomes its first owner. */
  create(principal: Principal, dto: WorkspaceDto): Promise<WorkspaceView> {
    return this.dataSource.transaction(async (tx) => {
      const workspace = await tx.getRepository(Workspace).save({ name: dto.name });
      await tx.getRepository(Membership).insert({ workspaceId: workspace.id, userId: principal.userId, role: 'owner' });
      return toWorkspaceView(workspace, 'owner');
    });
  }

  /** The caller's workspaces (an API key sees only its own). */
  async listMine(principal: Principal, page: PageQueryDto): Promise<PageDto<WorkspaceView>> {
    const qb = this.dataSource
      .getRepository(Workspace)
      .createQueryBuilder('w')
      // The caller's membership comes with each workspace: its role is part of the view.
      .innerJoinAndMapOne('w.membership', Membership, 'm', 'm.workspace_id = w.id AND m.user_id = :userId', { userId: principal.userId });
    if (principal.apiKeyWorkspaceId) qb.andWhere('w.id = :only', { only: principal.apiKeyWorkspaceId });
    return paginate(qb, page, (w) => toWorkspaceView(w, (w as Workspace & { membership: Membership }).membership.role));
  }

  async get(ctx: WorkspaceContext): Promise<WorkspaceView> {
    return toWorkspaceView(await this.dataSource.getRepository(Workspace).findOneByOrFail({ id: ctx.workspaceId }), ctx.role);
  }

  async rename(ctx: WorkspaceContext, dto: WorkspaceDto): Promise<WorkspaceView> {
    const repo = this.dataSource.getRepository(Workspace);
    await repo.update({ id: ctx.workspaceId }, { name: dto.name });
    return toWorkspaceView(await repo.findOneByOrFail({ id: ctx.workspaceId }), ctx.role);
  }

  /** Everything in the workspace goes with it (foreign keys cascade). */
  async remove(ctx: WorkspaceContext): Promise<void> {
    await this.dataSource.getRepository(Workspace).delete({ id: ctx.workspaceId });
  }
}
