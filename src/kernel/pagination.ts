import { BadRequestException } from '@nestjs/common';
import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsInt, IsOptional, IsString, Max, MaxLength, Min } from 'class-validator';
import { ObjectLiteral, SelectQueryBuilder } from 'typeorm';

export class PageQueryDto {
  @ApiPropertyOptional({ minimum: 1, maximum: 100, default: 50, example: 50 })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(100)
  limit?: number;

  @ApiPropertyOptional({ description: 'The nextCursor of the previous page' })
  @IsOptional()
  @IsString()
  @MaxLength(200)
  cursor?: string;
}

export class PageDto<T> {
  @ApiProperty({ type: 'array', items: { type: 'object' }, description: 'The page, newest first' })
  data: T[];

  @ApiProperty({ type: String, nullable: true, example: null })
  nextCursor: string | null;
}

// Microsecond precision: two rows created in the same millisecond are neither skipped nor repeated.
const CURSOR_TIMESTAMP = (alias: string) => `to_char("${alias}"."created_at" AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US')`;

function decodeCursor(cursor: string): { ts: string; id: string } {
  const [ts, id] = Buffer.from(cursor, 'base64url').toString('utf8').split('|');
  if (!ts || !id || !/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}$/.test(ts) || !/^[0-9a-f-]{36}$/i.test(id)) {
    throw new BadRequestException('cursor is invalid');
  }
  // Well-formed but impossible (month 13, hour 99) would reach PostgreSQL as a 500: round-trip it.
  const millis = `${ts.slice(0, 23)}Z`;
  const parsed = new Date(millis);
  // PostgreSQL has no year 0: '0000-…' is out of its range too.
  if (Number.isNaN(parsed.getTime()) || parsed.toISOString() !== millis || ts.startsWith('0000')) {
    throw new BadRequestException('cursor is invalid');
  }
  return { ts, id };
}

/** Newest first, keyset-paginated on (created_at, id); the query must already be scoped. */
export async function paginate<T extends ObjectLiteral, V>(
  qb: SelectQueryBuilder<T>,
  query: PageQueryDto,
  toView: (row: T) => V,
  /** The unique column that breaks ties between rows created in the same microsecond. */
  idColumn = 'id',
): Promise<PageDto<V>> {
  const alias = qb.alias;
  const limit = query.limit ?? 50;
  if (query.cursor) {
    const { ts, id } = decodeCursor(query.cursor);
    qb.andWhere(`("${alias}"."created_at", "${alias}"."${idColumn}") < ((:cursorTs)::timestamp AT TIME ZONE 'UTC', :cursorId)`, {
      cursorTs: ts,
      cursorId: id,
    });
  }
  qb.addSelect(CURSOR_TIMESTAMP(alias), 'cursor_ts')
    .addSelect(`"${alias}"."${idColumn}"`, 'cursor_id')
    .orderBy(`"${alias}"."created_at"`, 'DESC')
    .addOrderBy(`"${alias}"."${idColumn}"`, 'DESC')
    // limit(), not take(): take() with a join switches TypeORM to a two-query mode that cannot resolve
    // these raw ORDER BY expressions (a 500). Joins here must be to-one, so rows and entities align.
    .limit(limit + 1);
  const { entities, raw } = await qb.getRawAndEntities<{ cursor_ts: string; cursor_id: string }>();
  const hasMore = entities.length > limit;
  const lastRaw = hasMore ? raw[limit - 1] : null;
  return {
    data: entities.slice(0, limit).map(toView),
    nextCursor: lastRaw ? Buffer.from(`${lastRaw.cursor_ts}|${lastRaw.cursor_id}`).toString('base64url') : null,
  };
}
