import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { EVENT_COLUMNS, toDomainEvent, type DomainEvent, type EventRow } from './domain-event';

/**
 * For a statement that filters on the events about one object in the same round trip (the delivery
 * search): a subquery of the ids of the workspace's events whose `data.object.id` is `objectExpr`,
 * served by idx_events_object. The events' SQL stays here; the caller never names the table.
 */
export function eventIdsAboutObject(workspaceExpr: string, objectExpr: string): string {
  return `SELECT e.id FROM events e WHERE e.workspace_id = ${workspaceExpr} AND (e.data -> 'object' ->> 'id') = ${objectExpr}`;
}

/** Stored events, read by id (the events table is this module's: other modules read it here). */
@Injectable()
export class EventReader {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  /** One event by id (null when purged). */
  async find(id: string): Promise<DomainEvent | null> {
    return (await this.findMany([id])).get(id) ?? null;
  }

  /**
   * One event of a workspace (null when it is not there, or purged), and whether `subscriber` has
   * still to handle it (not relayed yet, or the subscriber's job not done).
   */
  async findInWorkspace(workspaceId: string, id: string, subscriber: string): Promise<{ event: DomainEvent; pendingFor: boolean } | null> {
    const rows: (EventRow & { pending_for: boolean })[] = await this.dataSource.query(
      `SELECT ${EVENT_COLUMNS}, (e.relayed_at IS NULL OR $3 = ANY(e.pending_subscribers)) AS pending_for
       FROM events e WHERE e.id = $1 AND e.workspace_id = $2`,
      [id, workspaceId, subscriber],
    );
    return rows[0] ? { event: toDomainEvent(rows[0]), pendingFor: rows[0].pending_for } : null;
  }

  /**
   * The oldest event about `objectId` of these types that `subscriber` has still to handle, up to
   * and including `upTo` (null when none): for a subscriber whose jobs may run out of order but which
   * must act on such events in the order they happened (served by idx_events_object).
   */
  async oldestPendingAbout(upTo: DomainEvent, objectId: string, types: readonly string[], subscriber: string): Promise<DomainEvent | null> {
    const rows: EventRow[] = await this.dataSource.query(
      `SELECT ${EVENT_COLUMNS} FROM events e
       WHERE e.workspace_id = $1 AND (e.data -> 'object' ->> 'id') = $2 AND e.type = ANY($3::text[])
         AND $4 = ANY(e.pending_subscribers) AND (e.created_at, e.id) <= (SELECT u.created_at, u.id FROM events u WHERE u.id = $5)
       ORDER BY e.created_at, e.id LIMIT 1`,
      [upTo.workspaceId, objectId, types, subscriber, upTo.id],
    );
    return rows[0] ? toDomainEvent(rows[0]) : null;
  }

  /** The outbox's backlog (metrics): events not yet relayed, and the age in seconds of the oldest (0 when none). */
  async outboxLag(): Promise<{ unrelayed: number; lagSeconds: number }> {
    const [row]: { n: number; lag: number }[] = await this.dataSource.query(
      `SELECT count(*)::int AS n, COALESCE(EXTRACT(EPOCH FROM now() - min(created_at)), 0)::float AS lag FROM events WHERE relayed_at IS NULL`,
    );
    return { unrelayed: row.n, lagSeconds: row.lag };
  }

  /** The events of these ids that still exist, by id. */
  async findMany(ids: string[]): Promise<Map<string, DomainEvent>> {
    if (!ids.length) return new Map();
    const rows: EventRow[] = await this.dataSource.query(`SELECT ${EVENT_COLUMNS} FROM events e WHERE e.id = ANY($1::text[])`, [ids]);
    return new Map(rows.map((row) => [row.id, toDomainEvent(row)]));
  }
}
