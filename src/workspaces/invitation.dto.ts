import { ApiProperty } from '@nestjs/swagger';
import { IsEmail, IsIn, MaxLength } from 'class-validator';
import { Invitation, INVITATION_STATUSES, InvitationStatus } from './invitation.entity';
import { Role, ROLES } from '../permissions/role';

export class CreateInvitationDto {
  @ApiProperty({ example: 'alice@firm.com', description: 'Anyone: the owner of this address joins once they verify it and accept' })
  @IsEmail()
  @MaxLength(320)
  email: string;

  @ApiProperty({ enum: ROLES, example: 'member', description: 'Only an owner invites an owner' })
  @IsIn(ROLES)
  role: Role;
}

export class InvitationView {
  @ApiProperty({ format: 'uuid' }) id: string;
  @ApiProperty({ format: 'uuid' }) workspaceId: string;
  @ApiProperty({ example: 'alice@firm.com' }) email: string;
  @ApiProperty({ enum: ROLES, example: 'member' }) role: Role;
  @ApiProperty({ enum: INVITATION_STATUSES, example: 'pending' }) status: InvitationStatus;
  @ApiProperty({ example: '2026-12-04T10:00:00.000Z' }) expiresAt: string;
  @ApiProperty({ format: 'uuid', nullable: true, type: String, description: 'Who invited (null once that account is gone)' }) invitedById: string | null;
  @ApiProperty({ example: '2026-11-27T10:00:00.000Z' }) createdAt: string;
}

export class MyInvitationView extends InvitationView {
  @ApiProperty({ example: 'Fund I' }) workspaceName: string;
  @ApiProperty({ example: 'Grace Hopper', nullable: true, type: String }) invitedByName: string | null;
}

export class AcceptedInvitationView {
  @ApiProperty({ format: 'uuid' }) workspaceId: string;
  @ApiProperty({ enum: ROLES, example: 'member' }) role: Role;
}

/** A pending invitation past its expiry reads as `expired`, before anything rewrites its row. */
export function toInvitationView(row: Invitation): InvitationView {
  const expired = row.status === 'pending' && row.expiresAt.getTime() <= Date.now();
  return {
    id: row.id,
    workspaceId: row.workspaceId,
    email: row.email,
    role: row.role,
    status: expired ? 'expired' : row.status,
    expiresAt: row.expiresAt.toISOString(),
    invitedById: row.invitedById,
    createdAt: row.createdAt.toISOString(),
  };
}
