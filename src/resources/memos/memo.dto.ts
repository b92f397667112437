import { ApiProperty, ApiPropertyOptional, PartialType } from '@nestjs/swagger';
import { IsIn, IsNotEmpty, IsOptional, IsString, IsUUID, MaxLength } from 'class-validator';
import { Memo, MEMO_VISIBILITIES, MemoVisibility } from './memo.entity';
import { CanonicalUuid } from '../../kernel/validation';
import { EventObject } from '../../events/event-schemas';

export const MEMO_BODY_MAX = 100 * 1024;

export class CreateMemoDto {
  @ApiProperty({ example: 'Q3 investment committee notes', maxLength: 300 })
  @IsString()
  @IsNotEmpty()
  @MaxLength(300)
  title: string;

  @ApiPropertyOptional({ type: String, example: 'We recommend a follow-on.', maxLength: MEMO_BODY_MAX, nullable: true })
  @IsOptional()
  @IsString()
  @MaxLength(MEMO_BODY_MAX)
  body?: string | null;

  @ApiPropertyOptional({ type: String, format: 'uuid', nullable: true })
  @IsOptional()
  @CanonicalUuid()
  @IsUUID()
  investmentId?: string | null;

  @ApiPropertyOptional({ type: String, format: 'uuid', nullable: true, description: 'Required when visibility is team' })
  @IsOptional()
  @CanonicalUuid()
  @IsUUID()
  teamId?: string | null;

  @ApiProperty({
    enum: MEMO_VISIBILITIES,
    example: 'team',
    description: 'private: its author only; team: members of teamId (owners and admins: any team); workspace: everyone',
  })
  @IsIn(MEMO_VISIBILITIES)
  visibility: MemoVisibility;
}

export class UpdateMemoDto extends PartialType(CreateMemoDto) {}

/** `data.object` of every `memo.*` event, and the API's response. */
@EventObject('memo', { previousAttributes: { visibility: 'private' } })
export class MemoView {
  @ApiProperty({ format: 'uuid' }) id: string;
  @ApiProperty({ format: 'uuid' }) workspaceId: string;
  @ApiProperty({ example: 'Q3 investment committee notes' }) title: string;
  @ApiProperty({ example: 'We recommend a follow-on.', nullable: true, type: String }) body: string | null;
  @ApiProperty({ format: 'uuid', nullable: true, type: String }) investmentId: string | null;
  @ApiProperty({ format: 'uuid', nullable: true, type: String }) teamId: string | null;
  @ApiProperty({ enum: MEMO_VISIBILITIES, example: 'team' }) visibility: MemoVisibility;
  @ApiProperty({ format: 'uuid', description: 'The creator' }) authorId: string;
  @ApiProperty({ format: 'date-time', example: '2026-11-27T10:00:00.000Z' }) createdAt: string;
  @ApiProperty({ format: 'date-time', example: '2026-11-27T10:00:00.000Z' }) updatedAt: string;
  [key: string]: unknown;
}

export function toMemoView(row: Memo): MemoView {
  return {
    id: row.id,
    workspaceId: row.workspaceId,
    title: row.title,
    body: row.body ?? null,
    investmentId: row.investmentId ?? null,
    teamId: row.teamId ?? null,
    visibility: row.visibility,
    authorId: row.authorId,
    createdAt: row.createdAt?.toISOString(),
    updatedAt: row.updatedAt?.toISOString(),
  };
}
