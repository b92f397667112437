'use strict';
/**
 * THE module graph: which top-level folder of src/ may import which. The dependency-cruiser rule
 * (.dependency-cruiser.cjs, `npm run lint:deps`) and the README's diagram are both made from this
 * list; test/unit/module-graph.spec.ts fails when the README's diagram differs from it.
 *
 *   node tools/module-graph.cjs            prints the diagram (mermaid)
 *
 * An arrow a → b lets a import b and everything b may import (the graph is layered: no cycles).
 * The composition root (src/*.ts: app.module, app.factory, main, entities, openapi, data-source)
 * may import anything; nothing imports it.
 */
const MODULES = {
  config: [],
  kernel: [],
  database: ['config'],
  mail: ['config'],
  events: ['kernel', 'config', 'database'],
  identity: ['kernel', 'config', 'events', 'mail'],
  permissions: ['identity'],
  workspaces: ['permissions', 'events', 'mail'],
  resources: ['workspaces', 'permissions', 'events'],
  webhooks: ['permissions', 'events'],
  delivery: ['webhooks', 'events', 'permissions'],
  health: ['kernel', 'config'],
  console: ['config'],
};

/** Every module a may import: its arrows and, transitively, theirs. */
function reachable(name, seen = new Set()) {
  for (const next of MODULES[name]) {
    if (seen.has(next)) continue;
    seen.add(next);
    reachable(next, seen);
  }
  return seen;
}

function mermaid() {
  const lines = ['```mermaid', 'flowchart TD'];
  for (const [from, tos] of Object.entries(MODULES)) {
    if (!tos.length) lines.push(`  ${from}`);
    for (const to of tos) lines.push(`  ${from} --> ${to}`);
  }
  lines.push('```');
  return lines.join('\n');
}

module.exports = { MODULES, reachable, mermaid };

if (require.main === module) process.stdout.write(mermaid() + '\n');
