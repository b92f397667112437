'use strict';
/**
 * The import rule between the modules of src/ (`npm run lint:deps`, run by CI before the tests).
 * The allowed graph is tools/module-graph.cjs (also the source of the README's diagram).
 */
const { MODULES, reachable } = require('./tools/module-graph.cjs');

const names = Object.keys(MODULES);
const forbidden = names.map((name) => {
  const allowed = [name, ...reachable(name)];
  return {
    name: `${name}-imports`,
    comment: `${name} may import only ${allowed.filter((m) => m !== name).join(', ') || 'nothing'} (tools/module-graph.cjs)`,
    severity: 'error',
    from: { path: `^src/${name}/` },
    to: { path: '^src/', pathNot: allowed.map((m) => `^src/${m}/`) },
  };
});

module.exports = {
  forbidden: [
    ...forbidden,
    {
      name: 'unknown-module',
      comment: 'every folder of src/ is a module of tools/module-graph.cjs',
      severity: 'error',
      from: { path: '^src/[^/]+/', pathNot: names.map((m) => `^src/${m}/`) },
      to: {},
    },
    {
      name: 'composition-root-is-imported',
      comment: 'the composition root (src/*.ts) imports modules; no module imports it',
      severity: 'error',
      from: { path: '^src/[^/]+/' },
      to: { path: '^src/[^/]+\\.ts$' },
    },
    {
      name: 'no-circular',
      severity: 'error',
      from: { path: '^src/' },
      to: { circular: true },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    includeOnly: '^src/',
    tsConfig: { fileName: 'tsconfig.json' },
    tsPreCompilationDeps: true,
    exclude: { path: '\\.d\\.ts$' },
  },
};
