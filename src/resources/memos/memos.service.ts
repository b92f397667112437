import { BadRequestException, Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import { requireTeam } from '../../workspaces/team-references';
import { ScopedCrudService } from '../../workspaces/scoped-crud';
import { can } from '../../permissions/authorize';
import type { WorkspaceContext } from '../../permissions/workspace-context';
import { Investment } from '../investments/investment.entity';
import { CreateMemoDto, toMemoView, UpdateMemoDto } from './memo.dto';
import { Memo } from './memo.entity';

@Injectable()
export class MemosService extends ScopedCrudService({
  entity: Memo,
  subject: 'Memo',
  eventSubject: 'memo',
  notFound: 'Memo not found',
  toView: toMemoView,
}) {
  override async create(ctx: WorkspaceContext, dto: CreateMemoDto) {
    const memo = { ...dto, authorId: ctx.userId } as Memo;
    await this.checkReferences(this.dataSource.manager, ctx, memo, dto);
    return super.create(ctx, memo);
  }

  override update(ctx: WorkspaceContext, id: string, dto: UpdateMemoDto) {
    return super.update(ctx, id, dto, (tx, row) => this.checkReferences(tx, ctx, row, dto));
  }

  private async checkReferences(tx: EntityManager, ctx: WorkspaceContext, memo: Memo, changed: UpdateMemoDto): Promise<void> {
    if (memo.visibility === 'team' && !memo.teamId) throw new BadRequestException(['teamId is required when visibility is team']);
    if (changed.teamId) await requireTeam(tx, ctx.workspaceId, changed.teamId, 'teamId');
    if (changed.investmentId) {
      // Like a valuation's: an investment the caller cannot read is answered as if it did not exist.
      const investment = await tx.getRepository(Investment).findOne({ where: { id: changed.investmentId, workspaceId: ctx.workspaceId } });
      if (!investment || !can(ctx.ability, 'read', 'Investment', investment)) {
        throw new BadRequestException(['investmentId does not name an investment of this workspace']);
      }
    }
  }
}
