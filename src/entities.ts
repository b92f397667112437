import { AuditEntry } from './audit/audit-entry.entity';
import { Delivery } from './delivery/delivery.entity';
import { DeliveryAttempt } from './delivery/delivery-attempt.entity';
import { DeliverySkip } from './delivery/delivery-skip.entity';
import { OutboxEvent } from './events/outbox-event.entity';
import { AccessToken } from './identity/access-token.entity';
import { AccountToken } from './identity/account-token.entity';
import { ApiKey } from './identity/api-key.entity';
import { User } from './identity/user.entity';
import { Assumption } from './resources/assumptions/assumption.entity';
import { Investment } from './resources/investments/investment.entity';
import { Memo } from './resources/memos/memo.entity';
import { Pipeline } from './resources/pipelines/pipeline.entity';
import { Valuation } from './resources/valuations/valuation.entity';
import { Webhook } from './webhooks/webhook.entity';
import { CustomRole } from './workspaces/custom-role.entity';
import { Invitation } from './workspaces/invitation.entity';
import { Membership } from './workspaces/membership.entity';
import { Team } from './workspaces/team.entity';
import { TeamMember } from './workspaces/team-member.entity';
import { Workspace } from './workspaces/workspace.entity';

/** Listed explicitly (no globs) so the app, the migration CLI and Vitest load the same set. */
export const ENTITIES = [
  User, AccessToken, ApiKey,
  Workspace, Membership, Team, TeamMember,
  Investment, Valuation, Memo, Assumption, Pipeline,
  OutboxEvent, Webhook, Delivery, DeliveryAttempt, DeliverySkip,
  AccountToken, Invitation, CustomRole,
  AuditEntry,
];
