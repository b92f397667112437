/**
 * What GET /v1/me lists besides the user: their workspaces and roles. Memberships are not
 * identity's (identity imports no other module): the permissions module's access reader
 * provides this (PermissionsModule binds it, globally).
 */
export abstract class UserMemberships {
  /** The user's memberships, oldest first. */
  abstract listForUser(userId: string): Promise<{ workspaceId: string; role: string }[]>;
}
