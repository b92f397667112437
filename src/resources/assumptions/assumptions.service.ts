import { Injectable } from '@nestjs/common';
import { ScopedCrudService } from '../../workspaces/scoped-crud';
import { toAssumptionView } from './assumption.dto';
import { Assumption } from './assumption.entity';

@Injectable()
export class AssumptionsService extends ScopedCrudService({
  entity: Assumption,
  subject: 'Assumption',
  eventSubject: 'assumption',
  notFound: 'Assumption not found',
  toView: toAssumptionView,
}) {}
