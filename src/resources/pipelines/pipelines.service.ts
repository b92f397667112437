import { Injectable } from '@nestjs/common';
import { ScopedCrudService } from '../../workspaces/scoped-crud';
import { toPipelineView } from './pipeline.dto';
import { Pipeline } from './pipeline.entity';

@Injectable()
export class PipelinesService extends ScopedCrudService({
  entity: Pipeline,
  subject: 'Pipeline',
  eventSubject: 'pipeline',
  notFound: 'Pipeline not found',
  toView: toPipelineView,
}) {}
