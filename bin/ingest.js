#!/usr/bin/env node
'use strict';
// The `ingest` command line. Runs the compiled TypeScript in dist/ (built by `make build`).
// On a machine whose own `node` is older than 22 it re-runs itself under the Node.js 24 that
// `make start` / `make test` installed into .local/node, so `npx ingest …` works from any shell.
const { existsSync } = require('node:fs');
const { join } = require('node:path');

const root = join(__dirname, '..');
const MIN_MAJOR = 22;
if (Number(process.versions.node.split('.')[0]) < MIN_MAJOR) {
  const projectNode = join(root, '.local', 'node', 'bin', 'node');
  if (!existsSync(projectNode)) {
    process.stderr.write(`error: Node.js ${MIN_MAJOR}+ is required (this is ${process.version}); run \`make build\` once to install Node.js 24 into .local/node\n`);
    process.exit(1);
  }
  const { spawn } = require('node:child_process');
  const child = spawn(projectNode, [__filename, ...process.argv.slice(2)], { stdio: 'inherit' });
  // Ctrl-C reaches the child through the terminal's process group; a kill aimed at us is passed on.
  process.on('SIGINT', () => undefined);
  process.on('SIGTERM', () => child.kill('SIGTERM'));
  child.on('exit', (code, signal) => process.exit(code ?? (signal ? 128 + require('node:os').constants.signals[signal] : 1)));
  return;
}

const entry = join(root, 'dist', 'local', 'cli.js');
if (!existsSync(entry)) {
  process.stderr.write('error: the project is not built yet: run `make build` first\n');
  process.exit(1);
}
require(entry)
  .main(process.argv.slice(2))
  .then(
    (code) => {
      process.exit(code);
    },
    // main() answers every failure with a code; should one escape, it is still one line, no stack trace.
    (error) => {
      process.stderr.write(`error: ${error instanceof Error ? error.message : String(error)}\n`);
      process.exit(1);
    },
  );
