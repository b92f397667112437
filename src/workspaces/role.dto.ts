import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import {
  ArrayMaxSize,
  ArrayNotEmpty,
  ArrayUnique,
  IsArray,
  IsIn,
  IsNotEmpty,
  IsOptional,
  IsString,
  MaxLength,
  ValidateIf,
  ValidateNested,
} from 'class-validator';
import {
  CUSTOM_ROLE_ACTIONS,
  CUSTOM_ROLE_SCOPES,
  CUSTOM_ROLE_SUBJECTS,
  CustomRoleAction,
  CustomRoleScope,
  CustomRoleSubject,
} from '../permissions/custom-role';
import { CustomRole } from './custom-role.entity';

export const ROLE_NAME_MAX = 100;
export const ROLE_DESCRIPTION_MAX = 1000;
export const ROLE_PERMISSIONS_MAX = 50;

const ANALYST_PERMISSIONS = [
  { subject: 'Investment', actions: ['read'], scope: 'team', fields: ['name', 'teamId', 'status', 'currency'] },
  { subject: 'Valuation', actions: ['read'], scope: 'team' },
];

export class RolePermissionDto {
  @ApiProperty({ enum: CUSTOM_ROLE_SUBJECTS, example: 'Investment' })
  @IsIn(CUSTOM_ROLE_SUBJECTS)
  subject: CustomRoleSubject;

  @ApiProperty({ enum: CUSTOM_ROLE_ACTIONS, isArray: true, example: ['read'], description: '`manage` = read, create, update and delete' })
  @IsArray()
  @ArrayNotEmpty()
  @ArrayUnique()
  @IsIn(CUSTOM_ROLE_ACTIONS, { each: true })
  actions: CustomRoleAction[];

  @ApiProperty({
    enum: CUSTOM_ROLE_SCOPES,
    example: 'team',
    description:
      '`all`: every row; `team`: rows of the holder\'s teams (Investment, Valuation, Team; Memo: workspace memos, team memos of their teams, their own); ' +
      '`own`: rows the holder owns (Memo: author, Webhook: creator, ApiKey and Member: themself). Another person\'s private memo is never included.',
  })
  @IsIn(CUSTOM_ROLE_SCOPES)
  scope: CustomRoleScope;

  @ApiPropertyOptional({
    type: [String],
    example: ['name', 'teamId', 'status'],
    description: 'Only these fields are readable (`id` always is) in lists, gets and webhook payloads; resources only. Absent: every field',
  })
  @IsOptional()
  @IsArray()
  @ArrayUnique()
  @IsString({ each: true })
  fields?: string[];
}

export class CreateRoleDto {
  @ApiProperty({ example: 'Analyst', maxLength: ROLE_NAME_MAX, description: 'Unique in the workspace (case-insensitive); not a built-in role name' })
  @IsString()
  @IsNotEmpty()
  @MaxLength(ROLE_NAME_MAX)
  name: string;

  @ApiPropertyOptional({ example: 'Reads the investments and valuations of their teams, without amounts', maxLength: ROLE_DESCRIPTION_MAX, nullable: true, type: String })
  @IsOptional()
  @IsString()
  @MaxLength(ROLE_DESCRIPTION_MAX)
  description?: string | null;

  @ApiProperty({ type: [RolePermissionDto], example: ANALYST_PERMISSIONS, maxItems: ROLE_PERMISSIONS_MAX })
  @IsArray()
  @ArrayMaxSize(ROLE_PERMISSIONS_MAX)
  @ValidateNested({ each: true })
  @Type(() => RolePermissionDto)
  permissions: RolePermissionDto[];
}

/** Optional, but an explicit null is refused (the column is NOT NULL): validated whenever present. */
const OptionalNotNull = () => ValidateIf((_object: object, value: unknown) => value !== undefined);

export class UpdateRoleDto {
  @ApiPropertyOptional({ example: 'Senior analyst', maxLength: ROLE_NAME_MAX })
  @OptionalNotNull()
  @IsString()
  @IsNotEmpty()
  @MaxLength(ROLE_NAME_MAX)
  name?: string;

  @ApiPropertyOptional({ example: 'Reads investments of their teams', maxLength: ROLE_DESCRIPTION_MAX, nullable: true, type: String })
  @IsOptional()
  @IsString()
  @MaxLength(ROLE_DESCRIPTION_MAX)
  description?: string | null;

  @ApiPropertyOptional({ type: [RolePermissionDto], example: ANALYST_PERMISSIONS, description: 'Replaces all permissions; holders follow on their next request and event' })
  @OptionalNotNull()
  @IsArray()
  @ArrayMaxSize(ROLE_PERMISSIONS_MAX)
  @ValidateNested({ each: true })
  @Type(() => RolePermissionDto)
  permissions?: RolePermissionDto[];
}

export class RoleView {
  @ApiProperty({ example: '6f1c2b9e-3d4a-4f5b-8c6d-7e8f9a0b1c2d', description: 'A custom role\'s uuid, or the built-in role\'s name' })
  id: string;
  @ApiProperty({ example: 'Analyst' }) name: string;
  @ApiProperty({ example: 'Reads the investments and valuations of their teams, without amounts', nullable: true, type: String })
  description: string | null;
  @ApiProperty({ example: false, description: 'Built-in roles (owner, admin, member, viewer) are read-only' }) builtIn: boolean;
  @ApiProperty({
    type: [RolePermissionDto],
    nullable: true,
    example: ANALYST_PERMISSIONS,
    description: 'A custom role\'s permissions; null for built-in roles (see permissions.md, "The matrix")',
  })
  permissions: RolePermissionDto[] | null;
  @ApiProperty({ example: 2, description: 'Members holding the role' }) memberCount: number;
  @ApiProperty({ example: '2026-11-27T10:00:00.000Z', nullable: true, type: String }) createdAt: string | null;
  @ApiProperty({ example: '2026-11-27T10:00:00.000Z', nullable: true, type: String }) updatedAt: string | null;
}

export function toRoleView(row: CustomRole, memberCount: number): RoleView {
  return {
    id: row.id,
    name: row.name,
    description: row.description,
    builtIn: false,
    permissions: row.permissions,
    memberCount,
    createdAt: row.createdAt.toISOString(),
    updatedAt: row.updatedAt.toISOString(),
  };
}
