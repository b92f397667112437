import { BadRequestException, ForbiddenException, Injectable, NotFoundException } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { PageDto, PageQueryDto, paginate } from '../kernel/pagination';
import { AuditLogService } from '../audit/audit-log.service';
import { AbilityService } from '../permissions/ability.service';
import { authorize } from '../permissions/authorize';
import type { WorkspaceContext } from '../permissions/workspace-context';
import { ApiKey } from '../identity/api-key.entity';
import { ApiKeyRepository } from '../identity/api-key.repository';
import { ApiKeyView, CreatedApiKeyView, CreateApiKeyDto } from '../identity/auth.dto';
import { API_KEY_PREFIX, generateOpaqueToken, hashToken } from '../identity/opaque-token';

@Injectable()
export class ApiKeysService {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly keys: ApiKeyRepository,
    private readonly abilities: AbilityService,
    private readonly audit: AuditLogService,
  ) {}

  async create(ctx: WorkspaceContext, dto: CreateApiKeyDto): Promise<CreatedApiKeyView> {
    // A leaked key must not be able to mint keys that outlive its own revocation.
    if (ctx.actor.type === 'api_key') throw new ForbiddenException('API keys cannot create API keys; sign in to create one');
    authorize(ctx, 'create', 'ApiKey', { userId: ctx.userId });
    const expiresAt = dto.expiresAt ? new Date(dto.expiresAt) : null;
    if (expiresAt && expiresAt.getTime() <= Date.now()) throw new BadRequestException('expiresAt must be in the future');
    const key = generateOpaqueToken(API_KEY_PREFIX);
    // One transaction for the key and its audit entry: an entry exists exactly when the key does.
    const saved = await this.dataSource.transaction(async (tx) => {
      const row = await this.keys.insert(
        {
          workspaceId: ctx.workspaceId,
          userId: ctx.userId,
          name: dto.name,
          prefix: key.slice(0, API_KEY_PREFIX.length + 4),
          keyHash: hashToken(key),
          expiresAt,
        },
        tx,
      );
      await this.audit.record(tx, {
        workspaceId: ctx.workspaceId,
        actor: ctx.actor,
        action: 'api_key.created',
        targetType: 'api_key',
        targetId: row.id,
        after: { name: row.name, prefix: row.prefix, expiresAt: row.expiresAt ? row.expiresAt.toISOString() : null },
      });
      return row;
    });
    return { ...toApiKeyView(saved), key };
  }

  /** Own keys; owners and admins see every key of the workspace. */
  list(ctx: WorkspaceContext, page: PageQueryDto): Promise<PageDto<ApiKeyView>> {
    const qb = this.keys.inWorkspace(ctx.workspaceId);
    this.abilities.scope(qb, ctx.ability, 'read', 'ApiKey', ApiKey);
    return paginate(qb, page, toApiKeyView);
  }

  /** Deleted, not flagged: the auth guard looks keys up on every request, so it stops working at once. */
  async remove(ctx: WorkspaceContext, id: string): Promise<void> {
    const qb = this.keys.inWorkspace(ctx.workspaceId).andWhere('k.id = :id', { id });
    const key = await this.abilities.scope(qb, ctx.ability, 'read', 'ApiKey', ApiKey).getOne();
    if (!key) throw new NotFoundException('API key not found');
    authorize(ctx, 'delete', 'ApiKey', key);
    await this.dataSource.transaction(async (tx) => {
      await this.keys.delete(key.id, tx);
      await this.audit.record(tx, {
        workspaceId: ctx.workspaceId,
        actor: ctx.actor,
        action: 'api_key.revoked',
        targetType: 'api_key',
        targetId: key.id,
        before: { name: key.name, prefix: key.prefix, userId: key.userId },
      });
    });
  }
}

function toApiKeyView(key: ApiKey): ApiKeyView {
  return {
    id: key.id,
    name: key.name,
    prefix: key.prefix,
    userId: key.userId,
    createdAt: key.createdAt.toISOString(),
    expiresAt: key.expiresAt?.toISOString() ?? null,
    lastUsedAt: key.lastUsedAt?.toISOString() ?? null,
  };
}
