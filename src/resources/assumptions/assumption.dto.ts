import { ApiProperty, ApiPropertyOptional, PartialType } from '@nestjs/swagger';
import { IsNotEmpty, IsNumber, IsOptional, IsString, MaxLength } from 'class-validator';
import { Assumption } from './assumption.entity';
import { EventObject } from '../../events/event-schemas';

export class CreateAssumptionDto {
  @ApiProperty({ example: 'Discount rate', maxLength: 200 })
  @IsString()
  @IsNotEmpty()
  @MaxLength(200)
  name: string;

  @ApiProperty({ example: 0.12 })
  @IsNumber({ allowNaN: false, allowInfinity: false })
  value: number;

  @ApiPropertyOptional({ type: String, example: 'ratio', maxLength: 50, nullable: true })
  @IsOptional()
  @IsString()
  @MaxLength(50)
  unit?: string | null;
}

export class UpdateAssumptionDto extends PartialType(CreateAssumptionDto) {}

/** `data.object` of every `assumption.*` event, and the API's response. */
@EventObject('assumption', { previousAttributes: { value: 0.1 } })
export class AssumptionView {
  @ApiProperty({ format: 'uuid' }) id: string;
  @ApiProperty({ format: 'uuid' }) workspaceId: string;
  @ApiProperty({ example: 'Discount rate' }) name: string;
  @ApiProperty({ example: 0.12 }) value: number;
  @ApiProperty({ example: 'ratio', nullable: true, type: String }) unit: string | null;
  @ApiProperty({ format: 'date-time', example: '2026-11-27T10:00:00.000Z' }) createdAt: string;
  @ApiProperty({ format: 'date-time', example: '2026-11-27T10:00:00.000Z' }) updatedAt: string;
  [key: string]: unknown;
}

export function toAssumptionView(row: Assumption): AssumptionView {
  return {
    id: row.id,
    workspaceId: row.workspaceId,
    name: row.name,
    value: row.value,
    unit: row.unit ?? null,
    createdAt: row.createdAt?.toISOString(),
    updatedAt: row.updatedAt?.toISOString(),
  };
}
