import { ResourceController } from '../../workspaces/resource-controller';
import { CreatePipelineDto, PipelineView, UpdatePipelineDto } from './pipeline.dto';
import { PipelinesService } from './pipelines.service';

export class PipelinesController extends ResourceController({
  path: 'pipelines',
  subject: 'Pipeline',
  eventSubject: 'pipeline',
  service: PipelinesService,
  createDto: CreatePipelineDto,
  updateDto: UpdatePipelineDto,
  view: PipelineView,
}) {}
