import { ApiProperty, ApiPropertyOptional, PartialType } from '@nestjs/swagger';
import { IsIn, IsISO4217CurrencyCode, IsNotEmpty, IsNumber, IsOptional, IsString, IsUUID, MaxLength, Min } from 'class-validator';
import { INVESTMENT_STATUSES, Investment, InvestmentStatus } from './investment.entity';
import { CanonicalCurrency, CanonicalUuid } from '../../kernel/validation';
import { EventObject } from '../../events/event-schemas';

export class CreateInvestmentDto {
  @ApiProperty({ example: 'Acme Robotics Series A', maxLength: 200 })
  @IsString()
  @IsNotEmpty()
  @MaxLength(200)
  name: string;

  @ApiProperty({ format: 'uuid', description: 'The owning team; team-scoped roles see only their teams\' investments' })
  @CanonicalUuid()
  @IsUUID()
  teamId: string;

  @ApiPropertyOptional({ type: String, example: 'Series A', maxLength: 100, nullable: true })
  @IsOptional()
  @IsString()
  @MaxLength(100)
  stage?: string | null;

  @ApiPropertyOptional({ enum: INVESTMENT_STATUSES, default: 'active' })
  @IsOptional()
  @IsIn(INVESTMENT_STATUSES)
  status?: InvestmentStatus;

  @ApiPropertyOptional({ type: Number, example: 2500000, minimum: 0, nullable: true })
  @IsOptional()
  @IsNumber({ allowNaN: false, allowInfinity: false })
  @Min(0)
  amount?: number | null;

  @ApiPropertyOptional({ type: String, example: 'USD', description: 'ISO-4217 code', nullable: true })
  @IsOptional()
  @CanonicalCurrency()
  @IsISO4217CurrencyCode()
  currency?: string | null;
}

export class UpdateInvestmentDto extends PartialType(CreateInvestmentDto) {}

/** `data.object` of every `investment.*` event, and the API's response. */
@EventObject('investment', { previousAttributes: { amount: 2000000 } })
export class InvestmentView {
  @ApiProperty({ format: 'uuid' }) id: string;
  @ApiProperty({ format: 'uuid' }) workspaceId: string;
  @ApiProperty({ example: 'Acme Robotics Series A' }) name: string;
  @ApiProperty({ format: 'uuid' }) teamId: string;
  @ApiProperty({ example: 'Series A', nullable: true, type: String }) stage: string | null;
  @ApiProperty({ enum: INVESTMENT_STATUSES, example: 'active' }) status: InvestmentStatus;
  @ApiProperty({ example: 2500000, nullable: true, type: Number }) amount: number | null;
  @ApiProperty({ example: 'USD', nullable: true, type: String }) currency: string | null;
  @ApiProperty({ format: 'date-time', example: '2026-11-27T10:00:00.000Z' }) createdAt: string;
  @ApiProperty({ format: 'date-time', example: '2026-11-27T10:00:00.000Z' }) updatedAt: string;
  [key: string]: unknown;
}

export function toInvestmentView(row: Investment): InvestmentView {
  return {
    id: row.id,
    workspaceId: row.workspaceId,
    name: row.name,
    teamId: row.teamId,
    stage: row.stage ?? null,
    status: row.status ?? 'active',
    amount: row.amount ?? null,
    currency: row.currency ?? null,
    createdAt: row.createdAt?.toISOString(),
    updatedAt: row.updatedAt?.toISOString(),
  };
}
