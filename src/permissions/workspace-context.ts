import { createParamDecorator, ExecutionContext } from '@nestjs/common';
import type { EventActor } from '../kernel/actor';
import type { MemberRole } from './role';
import type { AppAbility } from './subjects';

/** What the policies guard established about the caller inside one workspace. */
export interface WorkspaceContext {
  workspaceId: string;
  userId: string;
  role: MemberRole;
  ability: AppAbility;
  actor: EventActor;
}

export interface WorkspaceRequest {
  workspaceContext?: WorkspaceContext;
}

export const CurrentWorkspace = createParamDecorator(
  (_: unknown, ctx: ExecutionContext): WorkspaceContext => ctx.switchToHttp().getRequest<WorkspaceRequest>().workspaceContext!,
);
