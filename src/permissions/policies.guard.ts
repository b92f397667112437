import { BadRequestException, CanActivate, ExecutionContext, ForbiddenException, Injectable, NotFoundException } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { isUUID } from 'class-validator';
import { AuthenticatedRequest, IS_PUBLIC } from '../kernel/principal';
import { AbilityService } from './ability.service';
import { SIGNED_IN } from '../kernel/route-decorators';
import { API_KEY_REFUSED, POLICY, PolicySpec } from './policy.decorator';
import { WorkspaceRequest } from './workspace-context';

/**
 * Global, after AuthGuard. Every route must declare @Public(), @SignedIn() or @Policy(): a route
 * that declares nothing is refused, so a forgotten policy cannot open a hole.
 */
@Injectable()
export class PoliciesGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    private readonly abilities: AbilityService,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const targets = [context.getHandler(), context.getClass()];
    if (this.reflector.getAllAndOverride<boolean>(IS_PUBLIC, targets)) return true;
    const request = context.switchToHttp().getRequest<AuthenticatedRequest & WorkspaceRequest>();
    const principal = request.principal!;

    const signedIn = this.reflector.getAllAndOverride<{ allowApiKey: boolean }>(SIGNED_IN, targets);
    if (signedIn) {
      if (principal.apiKeyId && !signedIn.allowApiKey) throw new ForbiddenException('API keys act only inside their workspace');
      return true;
    }

    const policy = this.reflector.getAllAndOverride<PolicySpec>(POLICY, targets);
    if (!policy) throw new Error(`Route ${context.getClass().name}.${context.getHandler().name} declares no policy`);

    if (!isUUID(request.params.wid)) throw new BadRequestException('wid must be a UUID');
    // PostgreSQL ignores a UUID's case; string comparisons (API key scope, CASL conditions, payloads)
    // do not. Guards run before pipes, so every id the handler receives is canonical.
    for (const [name, value] of Object.entries(request.params)) {
      if (typeof value === 'string' && isUUID(value)) request.params[name] = value.toLowerCase();
    }
    const workspaceId = request.params.wid;
    if (principal.apiKeyWorkspaceId && principal.apiKeyWorkspaceId !== workspaceId) throw new NotFoundException('Workspace not found');
    // Read on every request: a role change or removal applies to the very next request.
    const access = await this.abilities.findAccess(workspaceId, principal.userId);
    if (!access) throw new NotFoundException('Workspace not found');
    const ability = await this.abilities.abilityFor(access);
    if (ability.cannot(policy.action, policy.subject)) {
      throw new ForbiddenException(`Your role (${access.role}) may not ${policy.action} ${policy.subject}`);
    }
    if (principal.apiKeyId && !policy.allowApiKey) throw new ForbiddenException(API_KEY_REFUSED);
    request.workspaceContext = {
      workspaceId,
      userId: principal.userId,
      role: access.role,
      ability,
      actor: { type: principal.apiKeyId ? 'api_key' : 'user', id: principal.apiKeyId ?? principal.userId },
    };
    return true;
  }
}
