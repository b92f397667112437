import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import { describe, expect, it } from 'vitest';

/**
 * Modules own their tables: a module's SQL names only its own tables, and it reaches another's rows
 * through the owner's reader, repository or SQL fragment (EVENT_COLUMNS, memberAccessJoin,
 * webhookTarget, eventIdsAboutObject…). The owners are read from the entities (@Entity('table')).
 */
const SRC = 'src';

/** The workspaces module's tables that permissions reads for access decisions (AccessReader, memberAccessJoin). */
const PERMISSIONS_READS = new Set(['memberships', 'team_members', 'custom_roles', 'workspaces']);

/** Reviewed exceptions: file → foreign tables it may name, and why. */
const EXCEPTIONS: Record<string, string[]> = {
  // The lease statement reads the event with its delivery in one round trip (the hot path); its
  // columns are named by the events module (EVENT_COLUMNS).
  'src/delivery/delivery.repository.ts': ['events'],
};

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? files(path) : path.endsWith('.ts') ? [path] : [];
  });
}

const moduleOf = (path: string): string | null => {
  const parts = relative(SRC, path).split(sep);
  return parts.length > 1 ? parts[0] : null; // src/*.ts: the composition root
};

const sources = files(SRC).map((path) => ({ path: path.split(sep).join('/'), module: moduleOf(path), text: readFileSync(path, 'utf8') }));
const tableOwner = new Map<string, string>();
const entityOwner = new Map<string, string>();
for (const { module, text } of sources) {
  for (const m of text.matchAll(/@Entity\('(\w+)'\)[\s\S]*?export class (\w+)/g)) {
    tableOwner.set(m[1], module!);
    entityOwner.set(m[2], module!);
  }
}

describe('table ownership', () => {
  it('finds the owners', () => {
    expect(tableOwner.get('events')).toBe('events');
    expect(tableOwner.get('webhooks')).toBe('webhooks');
    expect(tableOwner.get('teams')).toBe('workspaces');
    expect(entityOwner.get('Webhook')).toBe('webhooks');
  });

  it("no module's SQL names another module's table, nor queries another module's entity", () => {
    const violations: string[] = [];
    for (const { path, module, text } of sources) {
      if (!module) continue;
      const allowed = (table: string, owner: string | undefined) =>
        owner === undefined ||
        owner === module ||
        (module === 'permissions' && PERMISSIONS_READS.has(table)) ||
        (EXCEPTIONS[path] ?? []).includes(table);
      for (const m of text.matchAll(/\b(?:FROM|JOIN|UPDATE|INTO)\s+"?(\w+)"?/g)) {
        if (!allowed(m[1], tableOwner.get(m[1]))) violations.push(`${path}: ${m[0]} (${tableOwner.get(m[1])}'s)`);
      }
      for (const m of text.matchAll(/\b(?:getRepository|getMetadata|innerJoin|leftJoin|innerJoinAndSelect|leftJoinAndSelect)\((\w+)\b/g)) {
        const owner = entityOwner.get(m[1]);
        if (owner && owner !== module) violations.push(`${path}: ${m[0]} (${owner}'s entity)`);
      }
    }
    expect(violations).toEqual([]);
  });
});
