import { ResourceController } from '../../workspaces/resource-controller';
import { AssumptionView, CreateAssumptionDto, UpdateAssumptionDto } from './assumption.dto';
import { AssumptionsService } from './assumptions.service';

export class AssumptionsController extends ResourceController({
  path: 'assumptions',
  subject: 'Assumption',
  eventSubject: 'assumption',
  service: AssumptionsService,
  createDto: CreateAssumptionDto,
  updateDto: UpdateAssumptionDto,
  view: AssumptionView,
}) {}
