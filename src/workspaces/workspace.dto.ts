import { ApiProperty } from '@nestjs/swagger';
import { IsIn, IsNotEmpty, IsString, MaxLength } from 'class-validator';
import { Role, ROLES } from '../permissions/role';
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
  @ApiProperty({ enum: ROLES, example: 'owner', description: "The caller's role" }) role?: Role;
  @ApiProperty({ example: '2026-11-27T10:00:00.000Z' }) createdAt: string;
}

export function toWorkspaceView(row: Workspace, role?: Role): WorkspaceView {
  return { id: row.id, name: row.name, role, createdAt: row.createdAt.toISOString() };
}

export class UpdateMemberDto {
  @ApiProperty({ enum: ROLES, example: 'admin' })
  @IsIn(ROLES)
  role: Role;
}

export class MemberView {
  @ApiProperty({ format: 'uuid' }) userId: string;
  @ApiProperty({ example: 'ada@example.com' }) email: string;
  @ApiProperty({ example: 'Ada Lovelace' }) name: string;
  @ApiProperty({ enum: ROLES, example: 'member' }) role: Role;
  @ApiProperty({ type: [String], description: 'Team ids in this workspace' }) teamIds: string[];
}

export class MemberPermissionsView {
  @ApiProperty({ format: 'uuid' }) userId: string;
  @ApiProperty({ enum: ROLES }) role: Role;
  @ApiProperty({
    description: 'CASL rules packed with packRules(); unpackRules() + createMongoAbility() rebuild the same ability',
    example: [['read', 'Memo', { visibility: 'workspace' }]],
    type: 'array',
    items: { type: 'array', items: {} },
  })
  rules: unknown[];
}
