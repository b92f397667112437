import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { ScopedCrud } from '../../common/scoped-crud';
import { EventPublisher } from '../../events/event-publisher.service';
import { AbilityService } from '../../permissions/ability.service';
import { PipelineView, toPipelineView } from './pipeline.dto';
import { Pipeline } from './pipeline.entity';

@Injectable()
export class PipelinesService extends ScopedCrud<Pipeline, PipelineView> {
  constructor(@InjectDataSource() dataSource: DataSource, abilities: AbilityService, events: EventPublisher) {
    super(dataSource, abilities, events, {
      entity: Pipeline,
      subject: 'Pipeline',
      eventSubject: 'pipeline',
      notFound: 'Pipeline not found',
      toView: toPipelineView,
    });
  }
}
