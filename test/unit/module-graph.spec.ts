import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const load = createRequire(resolve('package.json'));
const { MODULES, mermaid } = load('./tools/module-graph.cjs') as { MODULES: Record<string, string[]>; mermaid: () => string };

describe('the module graph', () => {
  it("is the README's diagram", () => {
    expect(readFileSync('README.md', 'utf8')).toContain(mermaid());
  });

  it('names only modules it lists, and has no cycle', () => {
    const visiting = new Set<string>();
    const done = new Set<string>();
    const visit = (name: string): void => {
      expect(MODULES[name], name).toBeDefined();
      expect(visiting.has(name), `cycle through ${name}`).toBe(false);
      if (done.has(name)) return;
      visiting.add(name);
      for (const next of MODULES[name]) visit(next);
      visiting.delete(name);
      done.add(name);
    };
    for (const name of Object.keys(MODULES)) visit(name);
  });

  it('leaves nothing importing delivery', () => {
    for (const [name, imports] of Object.entries(MODULES)) expect(imports, name).not.toContain('delivery');
  });
});
