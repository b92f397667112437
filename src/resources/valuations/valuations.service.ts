import { BadRequestException, Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import { ScopedCrudService } from '../../workspaces/scoped-crud';
import { can } from '../../permissions/authorize';
import type { WorkspaceContext } from '../../permissions/workspace-context';
import { Investment } from '../investments/investment.entity';
import { CreateValuationDto, toValuationView, UpdateValuationDto } from './valuation.dto';
import { Valuation } from './valuation.entity';

@Injectable()
export class ValuationsService extends ScopedCrudService({
  entity: Valuation,
  subject: 'Valuation',
  eventSubject: 'valuation',
  notFound: 'Valuation not found',
  toView: toValuationView,
}) {
  override async create(ctx: WorkspaceContext, dto: CreateValuationDto) {
    const teamId = await this.teamOfInvestment(this.dataSource.manager, ctx, dto.investmentId);
    return super.create(ctx, { ...dto, teamId });
  }

  override update(ctx: WorkspaceContext, id: string, dto: UpdateValuationDto) {
    return super.update(ctx, id, dto, async (tx, row) => {
      if (dto.investmentId !== undefined) row.teamId = await this.teamOfInvestment(tx, ctx, row.investmentId);
    });
  }

  /** The investment must be one the caller can read; its team becomes the valuation's. */
  private async teamOfInvestment(tx: EntityManager, ctx: WorkspaceContext, investmentId: string): Promise<string> {
    const investment = await tx.getRepository(Investment).findOne({ where: { id: investmentId, workspaceId: ctx.workspaceId } });
    if (!investment || !can(ctx.ability, 'read', 'Investment', investment)) {
      throw new BadRequestException(['investmentId does not name an investment of this workspace']);
    }
    return investment.teamId;
  }
}
