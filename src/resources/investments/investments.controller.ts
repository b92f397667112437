import { ResourceController } from '../../workspaces/resource-controller';
import { CreateInvestmentDto, InvestmentView, UpdateInvestmentDto } from './investment.dto';
import { InvestmentsService } from './investments.service';

export class InvestmentsController extends ResourceController({
  path: 'investments',
  subject: 'Investment',
  eventSubject: 'investment',
  service: InvestmentsService,
  createDto: CreateInvestmentDto,
  updateDto: UpdateInvestmentDto,
  view: InvestmentView,
}) {}
