import { CanActivate, ExecutionContext, Injectable, UnauthorizedException } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { ACCESS_TOKEN_PREFIX, API_KEY_PREFIX, hashToken } from './opaque-token';
import { AuthenticatedRequest, IS_PUBLIC, Principal } from '../kernel/principal';

const LAST_USED_RESOLUTION_MS = 60_000;

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

  /** Looked up on every request (no cache): a revoked or expired token or key stops working at once. */
  private async resolve(token: string): Promise<Principal | null> {
    const hash = hashToken(token);
    if (token.startsWith(ACCESS_TOKEN_PREFIX)) {
      const rows: { id: string; user_id: string; last_used_at: Date }[] = await this.dataSource.query(
        'SELECT id, user_id, last_used_at FROM access_tokens WHERE token_hash = $1 AND expires_at > now()',
        [hash],
      );
      if (!rows[0]) return null;
      this.touch('access_tokens', rows[0].id, rows[0].last_used_at);
      return { userId: rows[0].user_id, sessionId: rows[0].id, apiKeyId: null, apiKeyWorkspaceId: null };
    }
    if (token.startsWith(API_KEY_PREFIX)) {
      const rows: { id: string; user_id: string; workspace_id: string; last_used_at: Date | null }[] = await this.dataSource.query(
        'SELECT id, user_id, workspace_id, last_used_at FROM api_keys WHERE key_hash = $1 AND (expires_at IS NULL OR expires_at > now())',
        [hash],
      );
      if (!rows[0]) return null;
      this.touch('api_keys', rows[0].id, rows[0].last_used_at);
      return { userId: rows[0].user_id, sessionId: null, apiKeyId: rows[0].id, apiKeyWorkspaceId: rows[0].workspace_id };
    }
    return null;
  }

  /**
   * last_used_at moves at most once a minute per token or key, off the request's path: a busy
   * client costs one UPDATE a minute, not one per request. A lost update only makes it staler.
   */
  private touch(table: 'access_tokens' | 'api_keys', id: string, lastUsedAt: Date | null): void {
    if (lastUsedAt && Date.now() - lastUsedAt.getTime() < LAST_USED_RESOLUTION_MS) return;
    void this.dataSource
      .query(
        `UPDATE ${table} SET last_used_at = now()
         WHERE id = $1 AND (last_used_at IS NULL OR last_used_at < now() - ($2 || ' milliseconds')::interval)`,
        [id, LAST_USED_RESOLUTION_MS],
      )
      .catch(() => undefined);
  }
}
