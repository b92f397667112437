import { Injectable, NotFoundException } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import { ScopedCrudService } from './scoped-crud';
import type { WorkspaceContext } from '../permissions/workspace-context';
import { bumpAbilityVersion } from './ability-version';
import { toTeamView } from './team.dto';
import { Team } from './team.entity';

@Injectable()
export class TeamsService extends ScopedCrudService({
  entity: Team,
  subject: 'Team',
  eventSubject: 'team',
  notFound: 'Team not found',
  toView: toTeamView,
}) {
  override remove(ctx: WorkspaceContext, id: string) {
    // Its members' abilities lose the team: bump them before the rows cascade away.
    return super.remove(ctx, id, (tx, team) => bumpAbilityVersion(tx, ctx.workspaceId, { teamId: team.id }));
  }

  async addMember(ctx: WorkspaceContext, teamId: string, userId: string): Promise<void> {
    await this.transaction(async (tx) => {
      await this.teamAndMember(tx, ctx, teamId, userId);
      await tx.query(
        `INSERT INTO team_members (team_id, user_id, workspace_id) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING`,
        [teamId, userId, ctx.workspaceId],
      );
      await bumpAbilityVersion(tx, ctx.workspaceId, { userId });
    });
  }

  async removeMember(ctx: WorkspaceContext, teamId: string, userId: string): Promise<void> {
    await this.transaction(async (tx) => {
      await this.teamAndMember(tx, ctx, teamId, userId);
      const [, deleted] = await tx.query('DELETE FROM team_members WHERE team_id = $1 AND user_id = $2', [teamId, userId]);
      if (!deleted) throw new NotFoundException('User is not in this team');
      await bumpAbilityVersion(tx, ctx.workspaceId, { userId });
    });
  }

  private async teamAndMember(tx: EntityManager, ctx: WorkspaceContext, teamId: string, userId: string): Promise<void> {
    const team = await this.findReadable(ctx, teamId, tx);
    this.assertCan(ctx, 'update', team);
    const member = await tx.query('SELECT 1 FROM memberships WHERE workspace_id = $1 AND user_id = $2', [ctx.workspaceId, userId]);
    if (!member.length) throw new NotFoundException('User is not a member of this workspace');
  }
}
