import { Module } from '@nestjs/common';
import { EventsModule } from '../events/events.module';
import { PermissionsModule } from '../permissions/permissions.module';
import { AssumptionsController } from './assumptions/assumptions.controller';
import { AssumptionsService } from './assumptions/assumptions.service';
import { InvestmentsController } from './investments/investments.controller';
import { InvestmentsService } from './investments/investments.service';
import { MemosController } from './memos/memos.controller';
import { MemosService } from './memos/memos.service';
import { PipelinesController } from './pipelines/pipelines.controller';
import { PipelinesService } from './pipelines/pipelines.service';
import { ValuationsController } from './valuations/valuations.controller';
import { ValuationsService } from './valuations/valuations.service';

/** The platform resources: permission-scoped CRUD, each write publishing one domain event. */
@Module({
  imports: [PermissionsModule, EventsModule],
  controllers: [InvestmentsController, ValuationsController, MemosController, AssumptionsController, PipelinesController],
  providers: [InvestmentsService, ValuationsService, MemosService, AssumptionsService, PipelinesService],
})
export class ResourcesModule {}
