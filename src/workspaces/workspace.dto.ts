import { ApiProperty } from '@nestjs/swagger';
import { IsNotEmpty, IsString, MaxLength } from 'class-validator';
import { MEMBER_ROLES, MemberRole } from '../permissions/role';
import { Workspace } from './workspace.entity';

export class WorkspaceDto {
  @ApiProperty({ example: 'Countercyclical Capital', maxLength: 200 })
  @IsString()
  @IsNotEmpty()
  @MaxLength(200)
  name: string;
}

export class WorkspaceView {
  @ApiProperty({ format: 'uuid' }) id: string;
  @ApiProperty({ example: 'Countercyclical Capital' }) name: string;
  @ApiProperty({ enum: MEMBER_ROLES, example: 'owner', description: "The caller's role (`custom`: a custom role of the workspace)" }) role?: MemberRole;
  @ApiProperty({ example: '2026-11-27T10:00:00.000Z' }) createdAt: string;
}

export function toWorkspaceView(row: Workspace, role?: MemberRole): WorkspaceView {
  return { id: row.id, name: row.name, role, createdAt: row.createdAt.toISOString() };
}

export class UpdateMemberDto {
  @ApiProperty({
    example: 'admin',
    description:
      'A built-in role (owner, admin, member, viewer), or a custom role of this workspace by id or by name (case-insensitive), e.g. "Analyst"',
    maxLength: 100,
  })
  @IsString()
  @IsNotEmpty()
  @MaxLength(100)
  role: string;
}

export class MemberCustomRoleView {
  @ApiProperty({ format: 'uuid' }) id: string;
  @ApiProperty({ example: 'Analyst' }) name: string;
}

export class MemberView {
  @ApiProperty({ format: 'uuid' }) userId: string;
  @ApiProperty({ example: 'ada@example.com' }) email: string;
  @ApiProperty({ example: 'Ada Lovelace' }) name: string;
  @ApiProperty({ enum: MEMBER_ROLES, example: 'member', description: '`custom`: see customRole' }) role: MemberRole;
  @ApiProperty({ type: MemberCustomRoleView, nullable: true, description: 'With role `custom`: which custom role' })
  customRole: MemberCustomRoleView | null;
  @ApiProperty({ type: [String], description: 'Team ids in this workspace' }) teamIds: string[];
}

export class MemberPermissionsView {
  @ApiProperty({ format: 'uuid' }) userId: string;
  @ApiProperty({ enum: MEMBER_ROLES }) role: MemberRole;
  @ApiProperty({ type: MemberCustomRoleView, nullable: true, description: 'With role `custom`: which custom role (the rules are its effective rules)' })
  customRole: MemberCustomRoleView | null;
  @ApiProperty({
    description: 'CASL rules packed with packRules(); unpackRules() + createMongoAbility() rebuild the same ability',
    example: [['read', 'Memo', { visibility: 'workspace' }]],
    type: 'array',
    items: { type: 'array', items: {} },
  })
  rules: unknown[];
}
