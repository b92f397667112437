import { createParamDecorator, ExecutionContext, SetMetadata } from '@nestjs/common';

/** Who is calling: a user, through a session token or through one of their workspace API keys. */
export interface Principal {
  userId: string;
  /** The session (access token row) making the request; null for an API key. */
  sessionId: string | null;
  apiKeyId: string | null;
  /** An API key acts only inside the workspace it was created in. */
  apiKeyWorkspaceId: string | null;
}

export interface AuthenticatedRequest {
  principal?: Principal;
  params: Record<string, string>;
  headers: Record<string, string | string[] | undefined>;
}

export const IS_PUBLIC = 'auth:public';
/** Opts a route out of authentication (signup, login, health, docs). */
export const Public = () => SetMetadata(IS_PUBLIC, true);

export const CurrentPrincipal = createParamDecorator(
  (_: unknown, ctx: ExecutionContext): Principal => ctx.switchToHttp().getRequest<AuthenticatedRequest>().principal!,
);
