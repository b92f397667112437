import { Module } from '@nestjs/common';
import { EventsModule } from '../events/events.module';
import { MailModule } from '../mail/mail.module';
import { PermissionsModule } from '../permissions/permissions.module';
import { InvitationMailListener } from './invitation-mail.listener';
import { InvitationsController } from './invitations.controller';
import { InvitationsService } from './invitations.service';
import { MembersController } from './members.controller';
import { MyInvitationsController } from './my-invitations.controller';
import { MembersService } from './members.service';
import { RolesController } from './roles.controller';
import { RolesService } from './roles.service';
import { TeamMembersController, TeamsController } from './teams.controller';
import { TeamsService } from './teams.service';
import { WorkspacesController } from './workspaces.controller';
import { WorkspacesService } from './workspaces.service';

/** Workspaces, their members and roles, invitations (how people join), and teams (teams emit events like the resources do). */
@Module({
  imports: [PermissionsModule, EventsModule, MailModule],
  controllers: [WorkspacesController, MembersController, InvitationsController, MyInvitationsController, TeamsController, TeamMembersController, RolesController],
  providers: [WorkspacesService, MembersService, InvitationsService, InvitationMailListener, TeamsService, RolesService],
})
export class WorkspacesModule {}
