import { Inject, Injectable, Logger, OnApplicationShutdown } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import { currentRequest } from '../kernel/request-context';
import { PageDto, PageQueryDto, paginate } from '../kernel/pagination';
import { APP_CONFIG, AppConfig } from '../config/app-config';
import { AuditAction, AuditActorType, AuditEntry } from './audit-entry.entity';

export interface AuditRecord {
  workspaceId: string;
  actor: { type: AuditActorType; id: string | null };
  action: AuditAction;
  targetType?: string;
  targetId?: string;
  before?: Record<string, unknown> | null;
  after?: Record<string, unknown> | null;
}

export interface AuditQuery extends PageQueryDto {
  actorId?: string;
  action?: string;
  since?: Date;
  until?: Date;
}

const PURGE_INTERVAL_MS = 60 * 60_000;

/**
 * The workspace audit log: the only writer of `audit_log`. Other modules call record() — inside
 * the transaction of the change when there is one (pass its manager), so an entry exists exactly
 * when the change committed. The client's address and user agent come from the request being
 * served. Imports only config, common (kernel) and the database.
 */
@Injectable()
export class AuditLogService implements OnApplicationShutdown {
  private readonly logger = new Logger(AuditLogService.name);
  private timer: NodeJS.Timeout | null = null;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @InjectDataSource() private readonly dataSource: DataSource,
  ) {}

  async record(manager: EntityManager | null, entry: AuditRecord): Promise<void> {
    const request = currentRequest();
    await (manager ?? this.dataSource.manager).query(
      `INSERT INTO audit_log (workspace_id, action, actor_type, actor_id, target_type, target_id, before, after, ip, user_agent)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`,
      [
        entry.workspaceId,
        entry.action,
        entry.actor.type,
        entry.actor.id,
        entry.targetType ?? null,
        entry.targetId ?? null,
        entry.before ?? null,
        entry.after ?? null,
        request?.ip ?? null,
        request?.userAgent ?? null,
      ],
    );
  }

  /** Newest first, keyset-paged like every list. */
  list(workspaceId: string, query: AuditQuery): Promise<PageDto<AuditEntry>> {
    const qb = this.dataSource.getRepository(AuditEntry).createQueryBuilder('a').where('a.workspaceId = :workspaceId', { workspaceId });
    if (query.actorId) qb.andWhere('a.actorId = :actorId', { actorId: query.actorId });
    if (query.action) qb.andWhere('a.action = :action', { action: query.action });
    if (query.since) qb.andWhere('a.createdAt >= :since', { since: query.since });
    if (query.until) qb.andWhere('a.createdAt < :until', { until: query.until });
    return paginate(qb, query, (row) => row);
  }

  /** Started by WorkerModule (src/worker.module.ts) in the processes that run workers. */
  startPurge(): void {
    this.timer = setInterval(() => void this.purge().catch((err: Error) => this.logger.warn(`purge: ${err.message}`)), PURGE_INTERVAL_MS);
  }

  onApplicationShutdown(): void {
    if (this.timer) clearInterval(this.timer);
  }

  /** Deletes entries older than AUDIT_LOG_RETENTION (the only way an entry ever leaves). */
  async purge(): Promise<number> {
    const [, deleted]: [unknown, number] = await this.dataSource.query(
      `DELETE FROM audit_log WHERE created_at < now() - ($1 || ' milliseconds')::interval`,
      [this.config.auditLogRetentionMs],
    );
    return deleted;
  }
}
