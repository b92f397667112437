import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { EVENT_COLUMNS, toDomainEvent, type DomainEvent, type EventRow } from './domain-event';

/** Stored events, read by id (the events table is this module's: other modules read it here). */
@Injectable()
export class EventReader {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  /** One event by id (null when purged). */
  async find(id: string): Promise<DomainEvent | null> {
    return (await this.findMany([id])).get(id) ?? null;
  }

  /** The events of these ids that still exist, by id. */
  async findMany(ids: string[]): Promise<Map<string, DomainEvent>> {
    if (!ids.length) return new Map();
    const rows: EventRow[] = await this.dataSource.query(`SELECT ${EVENT_COLUMNS} FROM events e WHERE e.id = ANY($1::text[])`, [ids]);
    return new Map(rows.map((row) => [row.id, toDomainEvent(row)]));
  }
}
