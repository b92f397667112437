import { expect } from 'vitest';
import type { ApiClient, ApiResponse } from './api-client';

/**
 * The error shape of the API contract: `{statusCode, message, error}` with the given status. A
 * string must equal one of the messages; a RegExp must match one of them (or all of them joined
 * with " | ", for checks that span several).
 */
export function expectError(res: ApiResponse, status: number, message?: RegExp | string): void {
  expect(res.status, JSON.stringify(res.body)).toBe(status);
  expect(res.body).toMatchObject({ statusCode: status, error: expect.any(String) });
  if (message === undefined) return;
  const messages = ([] as unknown[]).concat(res.body.message).map(String);
  const ok =
    typeof message === 'string' ? messages.includes(message) : messages.some((m) => message.test(m)) || message.test(messages.join(' | '));
  expect(ok, `${String(message)} in ${JSON.stringify(messages)}`).toBe(true);
}

/** Every page of a list, following nextCursor; checks each page's size on the way. */
export async function walk(api: ApiClient, path: string, limit: number, maxPages = 200): Promise<any[]> {
  const rows: any[] = [];
  let cursor: string | null = null;
  for (let pages = 0; pages < maxPages; pages++) {
    const sep = path.includes('?') ? '&' : '?';
    const res: ApiResponse = await api.get(`${path}${sep}limit=${limit}${cursor ? `&cursor=${cursor}` : ''}`);
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body.data.length).toBeLessThanOrEqual(limit);
    rows.push(...res.body.data);
    cursor = res.body.nextCursor;
    if (!cursor) return rows;
    expect(res.body.data.length).toBe(limit);
  }
  throw new Error('too many pages');
}
