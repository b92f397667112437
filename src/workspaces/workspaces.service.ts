import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { PageDto, PageQueryDto, paginate } from '../common/pagination';
import type { Principal } from '../identity/principal';
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
      .innerJoin(Membership, 'm', 'm.workspace_id = w.id AND m.user_id = :userId', { userId: principal.userId });
    if (principal.apiKeyWorkspaceId) qb.andWhere('w.id = :only', { only: principal.apiKeyWorkspaceId });
    const roles = new Map<string, WorkspaceView['role']>();
    const result = await paginate(qb, page, (w) => toWorkspaceView(w));
    const ids = result.data.map((w) => w.id);
    if (ids.length) {
      const rows: { workspace_id: string; role: WorkspaceView['role'] }[] = await this.dataSource.query(
        'SELECT workspace_id, role FROM memberships WHERE user_id = $1 AND workspace_id = ANY($2)',
        [principal.userId, ids],
      );
      for (const row of rows) roles.set(row.workspace_id, row.role);
    }
    return { ...result, data: result.data.map((w) => ({ ...w, role: roles.get(w.id) })) };
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
