import type { MongoAbility } from '@casl/ability';

/** String subject types: rows and JSON payloads are checked through `subject(type, object)`. */
export const SUBJECT_TYPES = [
  'Workspace', 'Member', 'Team', 'Investment', 'Valuation', 'Memo', 'Assumption', 'Pipeline', 'Webhook', 'ApiKey', 'Invitation', 'Role',
  'AuditLog',
] as const;
export type SubjectType = (typeof SUBJECT_TYPES)[number];

/** `read_permissions`: reading a member's packed rules (admins, or the member themself). */
export const ACTIONS = ['manage', 'create', 'read', 'update', 'delete', 'read_permissions'] as const;
export type Action = (typeof ACTIONS)[number];

export type AppAbility = MongoAbility<[Action, SubjectType | Record<string, unknown>]>;
