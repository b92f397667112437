import { ApiProperty, PartialType } from '@nestjs/swagger';
import { IsNotEmpty, IsString, MaxLength } from 'class-validator';
import { Team } from './team.entity';
import { EventObject } from '../events/event-schemas';

export class CreateTeamDto {
  @ApiProperty({ example: 'Growth equity', maxLength: 200 })
  @IsString()
  @IsNotEmpty()
  @MaxLength(200)
  name: string;
}

export class UpdateTeamDto extends PartialType(CreateTeamDto) {}

/** `data.object` of every `team.*` event, and the API's response. */
@EventObject('team', { previousAttributes: { name: 'Growth' } })
export class TeamView {
  @ApiProperty({ format: 'uuid' }) id: string;
  @ApiProperty({ format: 'uuid' }) workspaceId: string;
  @ApiProperty({ example: 'Growth equity' }) name: string;
  @ApiProperty({ format: 'date-time', example: '2026-11-27T10:00:00.000Z' }) createdAt: string;
  @ApiProperty({ format: 'date-time', example: '2026-11-27T10:00:00.000Z' }) updatedAt: string;
  [key: string]: unknown;
}

export function toTeamView(row: Team): TeamView {
  return {
    id: row.id,
    workspaceId: row.workspaceId,
    name: row.name,
    createdAt: row.createdAt?.toISOString(),
    updatedAt: row.updatedAt?.toISOString(),
  };
}
