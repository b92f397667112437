// Runs the TypeScript sources in a child process without a build (`node -r ./test/support/ts-register.cjs
// src/main.ts`): each .ts file is compiled by SWC as it is required, with decorator metadata (Nest DI,
// class-validator and Swagger need it), as the test runner compiles them. Tests only.
const { readFileSync } = require('node:fs');
const { transformSync } = require('@swc/core');

const options = {
  sourceMaps: 'inline',
  module: { type: 'commonjs' },
  jsc: {
    target: 'es2022',
    parser: { syntax: 'typescript', decorators: true },
    transform: { legacyDecorator: true, decoratorMetadata: true, useDefineForClassFields: false },
    keepClassNames: true,
  },
};

require.extensions['.ts'] = function compile(module, filename) {
  const { code } = transformSync(readFileSync(filename, 'utf8'), { ...options, filename });
  module._compile(code, filename);
};
