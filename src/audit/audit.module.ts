import { Module } from '@nestjs/common';
import { AuditLogService } from './audit-log.service';

/**
 * The audit log (`audit_log`): who changed what in a workspace, when, from where. A leaf module:
 * imports only config, common (kernel) and the database; others call AuditLogService. The route
 * (GET /v1/workspaces/:wid/audit-log) lives with the workspaces module, which owns the policy.
 */
@Module({
  providers: [AuditLogService],
  exports: [AuditLogService],
})
export class AuditModule {}
