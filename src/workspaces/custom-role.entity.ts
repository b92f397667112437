import { Column, Entity, Index } from 'typeorm';
import { WorkspaceOwnedEntity } from '../kernel/workspace-owned.entity';
import type { RolePermission } from '../permissions/custom-role';

/**
 * A workspace's own role (permissions.md "Custom roles"). Written only by RolesService; the ability
 * factory compiles `permissions` into CASL rules for every member holding it.
 */
@Entity('custom_roles')
// Names are unique per workspace, case-insensitively (an expression index: maintained by the migration).
@Index('UQ_custom_roles_workspace_name', { synchronize: false })
export class CustomRole extends WorkspaceOwnedEntity {
  @Column('text')
  name: string;

  @Column('text', { nullable: true })
  description: string | null;

  @Column('jsonb')
  permissions: RolePermission[];
}
