import type { DataSource } from 'typeorm';

/**
 * Fills each listed delivery's `lastDurationMs` (View Logs' and the search's "duration") from its
 * latest attempt: one indexed query per page, (delivery_id, number).
 */
export async function fillLastDurations(dataSource: DataSource, rows: { id: string; lastDurationMs?: number | null }[]): Promise<void> {
  if (!rows.length) return;
  const found: { delivery_id: string; duration_ms: number }[] = await dataSource.query(
    `SELECT DISTINCT ON (delivery_id) delivery_id, duration_ms FROM delivery_attempts
      WHERE delivery_id = ANY($1::uuid[]) ORDER BY delivery_id, number DESC, id DESC`,
    [rows.map((d) => d.id)],
  );
  const durations = new Map(found.map((r) => [r.delivery_id, r.duration_ms]));
  for (const d of rows) d.lastDurationMs = durations.get(d.id) ?? null;
}
