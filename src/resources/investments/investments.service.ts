import { Injectable } from '@nestjs/common';
import { Not } from 'typeorm';
import { requireTeam } from '../../workspaces/team-references';
import { ScopedCrudService } from '../../workspaces/scoped-crud';
import type { WorkspaceContext } from '../../permissions/workspace-context';
import { Valuation } from '../valuations/valuation.entity';
import { CreateInvestmentDto, toInvestmentView, UpdateInvestmentDto } from './investment.dto';
import { Investment } from './investment.entity';

@Injectable()
export class InvestmentsService extends ScopedCrudService({
  entity: Investment,
  subject: 'Investment',
  eventSubject: 'investment',
  notFound: 'Investment not found',
  toView: toInvestmentView,
}) {
  override async create(ctx: WorkspaceContext, dto: CreateInvestmentDto) {
    // Checked before the single-statement insert; a team deleted in between fails its foreign key (409).
    await requireTeam(this.dataSource.manager, ctx.workspaceId, dto.teamId, 'teamId');
    return super.create(ctx, { status: 'active', ...dto });
  }

  override update(ctx: WorkspaceContext, id: string, dto: UpdateInvestmentDto) {
    return super.update(ctx, id, dto, async (tx, row) => {
      if (dto.teamId === undefined) return;
      await requireTeam(tx, ctx.workspaceId, row.teamId, 'teamId');
      // Valuations carry their investment's team so team-scoped reads stay one SQL filter.
      // Only rows whose team really changes: update() also bumps updatedAt, with no event for it.
      await tx.getRepository(Valuation).update({ investmentId: row.id, teamId: Not(row.teamId) }, { teamId: row.teamId });
    });
  }
}
