import { resolve } from 'node:path';
import { findProjectRoot } from './bundling';
import { synthesizeApp } from './app';

// Entry point (`node dist/cdktf/main.js`, or the cdktf CLI via cdktf.json). The only place the
// infrastructure app touches process.env; everything below takes explicit inputs.
// The cdktf CLI passes its output directory in CDKTF_OUTDIR; plain `node` writes to <repo>/cdktf.out.
const outdir = process.env.CDKTF_OUTDIR ?? resolve(findProjectRoot(__dirname), 'cdktf.out');
try {
  const stacks = synthesizeApp({ outdir, env: process.env });
  process.stdout.write(`Synthesised ${stacks.join(', ')} into ${outdir}\n`);
} catch (error) {
  process.stderr.write(`cdktf synth failed: ${(error as Error).message}\n`);
  process.exitCode = 1;
}
