import { Module } from '@nestjs/common';
import { AuditModule } from '../audit/audit.module';
import { AuditLogController } from './audit-log.controller';
import { EventsModule } from '../events/events.module';
import { IdentityModule } from '../identity/identity.module';
import { MailModule } from '../mail/mail.module';
import { PermissionsModule } from '../permissions/permissions.module';
import { ApiKeysController } from './api-keys.controller';
import { ApiKeysService } from './api-keys.service';
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
  imports: [IdentityModule, PermissionsModule, EventsModule, MailModule, AuditModule],
  controllers: [
    WorkspacesController, ApiKeysController, MembersController, InvitationsController, MyInvitationsController, TeamsController, TeamMembersController,
    RolesController, AuditLogController,
  ],
  providers: [ApiKeysService, WorkspacesService, MembersService, InvitationsService, InvitationMailListener, TeamsService, RolesService],
})
export class WorkspacesModule {}
