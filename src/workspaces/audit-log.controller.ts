import { BadRequestException, Get, Query } from '@nestjs/common';
import { ApiBadRequestResponse, ApiOperation, ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsOptional, IsUUID, Matches } from 'class-validator';
import { AUDIT_ACTIONS, AuditAction, AuditEntry } from '../audit/audit-entry.entity';
import { AuditLogService } from '../audit/audit-log.service';
import { ApiPage } from '../kernel/api-page.decorator';
import { PageQueryDto } from '../kernel/pagination';
import { WorkspaceController } from '../kernel/workspace-route';
import { Policy } from '../permissions/policy.decorator';
import { CurrentWorkspace, WorkspaceContext } from '../permissions/workspace-context';

const DATE_TIME = /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?)?$/;

export class AuditLogQueryDto extends PageQueryDto {
  @ApiPropertyOptional({ format: 'uuid', description: 'Only what this user (or API key) did' })
  @IsOptional()
  @IsUUID()
  actorId?: string;

  @ApiPropertyOptional({ enum: AUDIT_ACTIONS, example: 'webhook.updated' })
  @IsOptional()
  @IsIn(AUDIT_ACTIONS)
  action?: AuditAction;

  @ApiPropertyOptional({ example: '2026-11-26T00:00:00Z', description: 'Entries at or after this time' })
  @IsOptional()
  @Matches(DATE_TIME, { message: 'since must be a date or date-time like 2026-11-26 or 2026-11-26T00:00:00Z' })
  since?: string;

  @ApiPropertyOptional({ example: '2026-11-27T00:00:00Z', description: 'Entries before this time' })
  @IsOptional()
  @Matches(DATE_TIME, { message: 'until must be a date or date-time like 2026-11-26 or 2026-11-26T00:00:00Z' })
  until?: string;
}

export class AuditActorView {
  @ApiProperty({ enum: ['user', 'api_key', 'system'], example: 'user' }) type: string;
  @ApiProperty({ format: 'uuid', nullable: true, type: String, description: "The user's id, or the API key's id" }) id: string | null;
}

export class AuditEntryView {
  @ApiProperty({ format: 'uuid' }) id: string;
  @ApiProperty({ enum: AUDIT_ACTIONS, example: 'webhook.updated' }) action: string;
  @ApiProperty({ type: AuditActorView }) actor: AuditActorView;
  @ApiProperty({ example: 'webhook', nullable: true, type: String }) targetType: string | null;
  @ApiProperty({ example: '3f1c2b9e-8a4d-4c2e-9b7a-1d2e3f4a5b6c', nullable: true, type: String }) targetId: string | null;
  @ApiProperty({ example: { url: 'https://old.example.com/hook' }, nullable: true, type: Object, description: 'The changed fields before' })
  before: Record<string, unknown> | null;
  @ApiProperty({ example: { url: 'https://new.example.com/hook' }, nullable: true, type: Object, description: 'The changed fields after' })
  after: Record<string, unknown> | null;
  @ApiProperty({ example: '203.0.113.7', nullable: true, type: String }) ip: string | null;
  @ApiProperty({ example: 'Mozilla/5.0', nullable: true, type: String }) userAgent: string | null;
  @ApiProperty({ example: '2026-11-27T10:00:00.000Z' }) createdAt: string;
}

function toView(e: AuditEntry): AuditEntryView {
  return {
    id: e.id,
    action: e.action,
    actor: { type: e.actorType, id: e.actorId },
    targetType: e.targetType,
    targetId: e.targetId,
    before: e.before,
    after: e.after,
    ip: e.ip,
    userAgent: e.userAgent,
    createdAt: e.createdAt.toISOString(),
  };
}

function date(name: string, raw: string | undefined): Date | undefined {
  if (raw === undefined) return undefined;
  const value = new Date(raw);
  const [y, m, d] = raw.slice(0, 10).split('-').map(Number);
  const calendar = new Date(Date.UTC(y, m - 1, d));
  if (Number.isNaN(value.getTime()) || calendar.getUTCMonth() !== m - 1 || calendar.getUTCDate() !== d || y < 1) {
    throw new BadRequestException([`${name} is not a valid date`]);
  }
  return value;
}

@WorkspaceController('audit-log', 'audit log')
export class AuditLogController {
  constructor(private readonly audit: AuditLogService) {}

  @Get()
  @Policy('read', 'AuditLog')
  @ApiOperation({
    summary: 'The audit log: who changed webhooks, members, invitations and API keys, when and from where (owners and admins)',
    description: 'Newest first. Append-only: no route changes or deletes an entry; entries older than AUDIT_LOG_RETENTION (365 days) are purged.',
  })
  @ApiPage(AuditEntryView)
  @ApiBadRequestResponse({ description: 'A malformed filter' })
  async list(@CurrentWorkspace() ctx: WorkspaceContext, @Query() query: AuditLogQueryDto) {
    const since = date('since', query.since);
    const until = date('until', query.until);
    if (since && until && since >= until) throw new BadRequestException(['since must be before until']);
    const page = await this.audit.list(ctx.workspaceId, { ...query, since, until });
    return { ...page, data: page.data.map(toView) };
  }
}
