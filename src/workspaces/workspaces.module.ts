import { Module } from '@nestjs/common';
import { EventsModule } from '../events/events.module';
import { PermissionsModule } from '../permissions/permissions.module';
import { MembersController } from './members.controller';
import { MembersService } from './members.service';
import { TeamMembersController, TeamsController } from './teams.controller';
import { TeamsService } from './teams.service';
import { WorkspacesController } from './workspaces.controller';
import { WorkspacesService } from './workspaces.service';

/** Workspaces, their members and roles, and teams (teams emit events like the resources do). */
@Module({
  imports: [PermissionsModule, EventsModule],
  controllers: [WorkspacesController, MembersController, TeamsController, TeamMembersController],
  providers: [WorkspacesService, MembersService, TeamsService],
})
export class WorkspacesModule {}
