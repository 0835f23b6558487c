#!/usr/bin/env node
'use strict';
// The `ingest` command line. Runs the compiled TypeScript in dist/ (built by `npm install` via
// the `prepare` script, or `npm run build`).
const { existsSync } = require('node:fs');
const { join } = require('node:path');

const entry = join(__dirname, '..', 'dist', 'local', 'cli.js');
if (!existsSync(entry)) {
  process.stderr.write('error: the project is not built yet: run `npm run build` (or `make build`) first\n');
  process.exit(1);
}
require(entry)
  .main(process.argv.slice(2))
  .then((code) => {
    process.exit(code);
  });
