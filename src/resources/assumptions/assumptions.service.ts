import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { ScopedCrud } from '../../common/scoped-crud';
import { EventPublisher } from '../../events/event-publisher.service';
import { AbilityService } from '../../permissions/ability.service';
import { AssumptionView, toAssumptionView } from './assumption.dto';
import { Assumption } from './assumption.entity';

@Injectable()
export class AssumptionsService extends ScopedCrud<Assumption, AssumptionView> {
  constructor(@InjectDataSource() dataSource: DataSource, abilities: AbilityService, events: EventPublisher) {
    super(dataSource, abilities, events, {
      entity: Assumption,
      subject: 'Assumption',
      eventSubject: 'assumption',
      notFound: 'Assumption not found',
      toView: toAssumptionView,
    });
  }
}
