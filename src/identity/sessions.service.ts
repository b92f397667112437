import { Injectable, NotFoundException } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import { PageDto, PageQueryDto, paginate } from '../kernel/pagination';
import { AccessToken } from './access-token.entity';
import { SessionInfoView } from './auth.dto';
import { ACCESS_TOKEN_PREFIX, generateOpaqueToken, hashToken } from './opaque-token';
import type { Principal } from '../kernel/principal';

const SESSION_TTL_MS = 30 * 24 * 3600 * 1000;
const USER_AGENT_MAX = 500;

/** Login sessions: one access-token row each, listed and revoked by their owner. */
@Injectable()
export class SessionsService {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  /** A new session; the token is returned once, only its hash is stored. */
  async issue(manager: EntityManager, userId: string, userAgent: string | undefined): Promise<string> {
    const token = generateOpaqueToken(ACCESS_TOKEN_PREFIX);
    await manager.getRepository(AccessToken).insert({
      userId,
      tokenHash: hashToken(token),
      expiresAt: new Date(Date.now() + SESSION_TTL_MS),
      userAgent: userAgent ? userAgent.slice(0, USER_AGENT_MAX) : null,
    });
    return token;
  }

  list(principal: Principal, page: PageQueryDto): Promise<PageDto<SessionInfoView>> {
    const qb = this.dataSource
      .getRepository(AccessToken)
      .createQueryBuilder('s')
      .where('s.userId = :userId AND s.expiresAt > now()', { userId: principal.userId });
    return paginate(qb, page, (s) => toSessionView(s, principal.sessionId));
  }

  /** One of the caller's sessions (the current one too: that is a logout). Another user's: 404. */
  async revoke(principal: Principal, id: string): Promise<void> {
    const result = await this.dataSource.getRepository(AccessToken).delete({ id, userId: principal.userId });
    if (!result.affected) throw new NotFoundException('Session not found');
  }

  /** Every session of the user except `keep` (null: all of them). */
  async revokeAllBut(userId: string, keep: string | null, manager: EntityManager = this.dataSource.manager): Promise<void> {
    await manager.query('DELETE FROM access_tokens WHERE user_id = $1 AND ($2::uuid IS NULL OR id <> $2::uuid)', [userId, keep]);
  }
}

function toSessionView(s: AccessToken, currentId: string | null): SessionInfoView {
  return {
    id: s.id,
    createdAt: s.createdAt.toISOString(),
    lastUsedAt: s.lastUsedAt.toISOString(),
    expiresAt: s.expiresAt.toISOString(),
    userAgent: s.userAgent,
    current: s.id === currentId,
  };
}
