import { ApiProperty, ApiPropertyOptional, PartialType } from '@nestjs/swagger';
import { ArrayMaxSize, IsArray, IsNotEmpty, IsOptional, IsString, MaxLength } from 'class-validator';
import { Pipeline } from './pipeline.entity';
import { EventObject } from '../../events/event-schemas';

export class CreatePipelineDto {
  @ApiProperty({ example: 'Seed deal flow', maxLength: 200 })
  @IsString()
  @IsNotEmpty()
  @MaxLength(200)
  name: string;

  @ApiPropertyOptional({ example: ['sourced', 'screening', 'diligence', 'closed'], type: [String], maxItems: 50 })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(50)
  @IsString({ each: true })
  @IsNotEmpty({ each: true })
  @MaxLength(100, { each: true })
  stages?: string[];
}

export class UpdatePipelineDto extends PartialType(CreatePipelineDto) {}

/** `data.object` of every `pipeline.*` event, and the API's response. */
@EventObject('pipeline', { previousAttributes: { stages: ['sourced', 'closed'] } })
export class PipelineView {
  @ApiProperty({ format: 'uuid' }) id: string;
  @ApiProperty({ format: 'uuid' }) workspaceId: string;
  @ApiProperty({ example: 'Seed deal flow' }) name: string;
  @ApiProperty({ example: ['sourced', 'screening', 'diligence', 'closed'], type: [String] }) stages: string[];
  @ApiProperty({ format: 'date-time', example: '2026-11-27T10:00:00.000Z' }) createdAt: string;
  @ApiProperty({ format: 'date-time', example: '2026-11-27T10:00:00.000Z' }) updatedAt: string;
  [key: string]: unknown;
}

export function toPipelineView(row: Pipeline): PipelineView {
  return {
    id: row.id,
    workspaceId: row.workspaceId,
    name: row.name,
    stages: row.stages ?? [],
    createdAt: row.createdAt?.toISOString(),
    updatedAt: row.updatedAt?.toISOString(),
  };
}
