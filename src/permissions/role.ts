/** The built-in roles. */
export const ROLES = ['owner', 'admin', 'member', 'viewer'] as const;
export type Role = (typeof ROLES)[number];

/** A membership's role: a built-in one, or `custom` (then `memberships.custom_role_id` names the workspace's role). */
export const MEMBER_ROLES = [...ROLES, 'custom'] as const;
export type MemberRole = (typeof MEMBER_ROLES)[number];
