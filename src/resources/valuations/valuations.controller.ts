import { ResourceController } from '../../workspaces/resource-controller';
import { CreateValuationDto, UpdateValuationDto, ValuationView } from './valuation.dto';
import { ValuationsService } from './valuations.service';

export class ValuationsController extends ResourceController({
  path: 'valuations',
  subject: 'Valuation',
  eventSubject: 'valuation',
  service: ValuationsService,
  createDto: CreateValuationDto,
  updateDto: UpdateValuationDto,
  view: ValuationView,
}) {}
