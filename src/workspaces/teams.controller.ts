import { Delete, HttpCode, Put } from '@nestjs/common';
import { ApiNoContentResponse, ApiOperation } from '@nestjs/swagger';
import { ResourceController } from './resource-controller';
import { WorkspaceController } from '../kernel/workspace-route';
import { Policy } from '../permissions/policy.decorator';
import { CurrentWorkspace, WorkspaceContext } from '../permissions/workspace-context';
import { CreateTeamDto, TeamView, UpdateTeamDto } from './team.dto';
import { TeamsService } from './teams.service';
import { UuidParam } from '../kernel/uuid-param.decorator';

export class TeamsController extends ResourceController({
  path: 'teams',
  subject: 'Team',
  eventSubject: 'team',
  service: TeamsService,
  createDto: CreateTeamDto,
  updateDto: UpdateTeamDto,
  view: TeamView,
}) {}

@WorkspaceController('teams/:tid/members', 'teams')
export class TeamMembersController {
  constructor(private readonly teams: TeamsService) {}

  @Put(':userId')
  @HttpCode(204)
  @Policy('update', 'Team', { allowApiKey: false })
  @ApiOperation({ summary: 'Add a workspace member to a team (takes effect on the next request and event)' })
  @ApiNoContentResponse()
  add(@CurrentWorkspace() ctx: WorkspaceContext, @UuidParam('tid') tid: string, @UuidParam('userId') userId: string) {
    return this.teams.addMember(ctx, tid, userId);
  }

  @Delete(':userId')
  @HttpCode(204)
  @Policy('update', 'Team', { allowApiKey: false })
  @ApiOperation({ summary: 'Remove a user from a team' })
  @ApiNoContentResponse()
  remove(@CurrentWorkspace() ctx: WorkspaceContext, @UuidParam('tid') tid: string, @UuidParam('userId') userId: string) {
    return this.teams.removeMember(ctx, tid, userId);
  }
}
