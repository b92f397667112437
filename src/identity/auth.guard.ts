import { CanActivate, ExecutionContext, Injectable, UnauthorizedException } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { ACCESS_TOKEN_PREFIX, API_KEY_PREFIX, hashToken } from './opaque-token';
import { AuthenticatedRequest, IS_PUBLIC, Principal } from './principal';

/** Global: every route needs a valid bearer token unless it is marked @Public(). */
@Injectable()
export class AuthGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    @InjectDataSource() private readonly dataSource: DataSource,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    if (this.reflector.getAllAndOverride<boolean>(IS_PUBLIC, [context.getHandler(), context.getClass()])) return true;
    const request = context.switchToHttp().getRequest<AuthenticatedRequest>();
    const header = request.headers.authorization;
    const match = typeof header === 'string' ? /^Bearer\s+(\S+)$/i.exec(header) : null;
    if (!match) throw new UnauthorizedException('Missing bearer token');
    const principal = await this.resolve(match[1]);
    if (!principal) throw new UnauthorizedException('Invalid or revoked token');
    request.principal = principal;
    return true;
  }

  /** Looked up on every request (no cache): a revoked token or key stops working at once. */
  private async resolve(token: string): Promise<Principal | null> {
    const hash = hashToken(token);
    if (token.startsWith(ACCESS_TOKEN_PREFIX)) {
      const rows: { user_id: string }[] = await this.dataSource.query(
        'SELECT user_id FROM access_tokens WHERE token_hash = $1 AND expires_at > now()',
        [hash],
      );
      return rows[0] ? { userId: rows[0].user_id, apiKeyId: null, apiKeyWorkspaceId: null } : null;
    }
    if (token.startsWith(API_KEY_PREFIX)) {
      const rows: { id: string; user_id: string; workspace_id: string }[] = await this.dataSource.query(
        'SELECT id, user_id, workspace_id FROM api_keys WHERE key_hash = $1',
        [hash],
      );
      return rows[0] ? { userId: rows[0].user_id, apiKeyId: rows[0].id, apiKeyWorkspaceId: rows[0].workspace_id } : null;
    }
    return null;
  }
}
