import { ApiProperty, ApiPropertyOptional, PartialType } from '@nestjs/swagger';
import { IsISO4217CurrencyCode, IsISO8601, IsNumber, IsOptional, IsString, IsUUID, Matches, MaxLength } from 'class-validator';
import { Valuation } from './valuation.entity';
import { CanonicalCurrency, CanonicalUuid } from '../../kernel/validation';
import { EventObject } from '../../events/event-schemas';

export class CreateValuationDto {
  @ApiProperty({ format: 'uuid', description: 'The valued investment; the valuation takes its team' })
  @CanonicalUuid()
  @IsUUID()
  investmentId: string;

  @ApiProperty({ example: 12000000 })
  @IsNumber({ allowNaN: false, allowInfinity: false })
  value: number;

  @ApiPropertyOptional({ type: String, example: 'USD', nullable: true })
  @IsOptional()
  @CanonicalCurrency()
  @IsISO4217CurrencyCode()
  currency?: string | null;

  @ApiPropertyOptional({ type: String, example: '2026-09-30', format: 'date', nullable: true })
  @IsOptional()
  @IsISO8601({ strict: true })
  // A date column: a timestamp would be echoed as sent but read back as its date.
  @Matches(/^\d{4}-\d{2}-\d{2}$/, { message: 'valuedAt must be a date (YYYY-MM-DD)' })
  valuedAt?: string | null;

  @ApiPropertyOptional({ type: String, example: 'last round', maxLength: 200, nullable: true })
  @IsOptional()
  @IsString()
  @MaxLength(200)
  method?: string | null;
}

export class UpdateValuationDto extends PartialType(CreateValuationDto) {}

/** `data.object` of every `valuation.*` event, and the API's response. */
@EventObject('valuation', { previousAttributes: { value: 10000000 } })
export class ValuationView {
  @ApiProperty({ format: 'uuid' }) id: string;
  @ApiProperty({ format: 'uuid' }) workspaceId: string;
  @ApiProperty({ format: 'uuid' }) investmentId: string;
  @ApiProperty({ format: 'uuid', description: "The investment's team" }) teamId: string;
  @ApiProperty({ example: 12000000 }) value: number;
  @ApiProperty({ example: 'USD', nullable: true, type: String }) currency: string | null;
  @ApiProperty({ example: '2026-09-30', format: 'date', nullable: true, type: String }) valuedAt: string | null;
  @ApiProperty({ example: 'last round', nullable: true, type: String }) method: string | null;
  @ApiProperty({ format: 'date-time', example: '2026-11-27T10:00:00.000Z' }) createdAt: string;
  @ApiProperty({ format: 'date-time', example: '2026-11-27T10:00:00.000Z' }) updatedAt: string;
  [key: string]: unknown;
}

export function toValuationView(row: Valuation): ValuationView {
  return {
    id: row.id,
    workspaceId: row.workspaceId,
    investmentId: row.investmentId,
    teamId: row.teamId,
    value: row.value,
    currency: row.currency ?? null,
    valuedAt: row.valuedAt ?? null,
    method: row.method ?? null,
    createdAt: row.createdAt?.toISOString(),
    updatedAt: row.updatedAt?.toISOString(),
  };
}
