import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { cpSync, existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { buildSync } from 'esbuild';
import { ERROR_CODES, PipelineError } from '../core/errors';
import type { LambdaArchitecture } from './props';

/** The Lambda entry points, relative to the repository root. Each exports `handler`. */
export const LAMBDA_ENTRIES = {
  ingestApi: 'ingest-api/handler.ts',
  uploadHandler: 'ingest-api/upload-handler.ts',
  streamConsumer: 'stream-consumer/handler.ts',
  reconciler: 'reconciler/handler.ts',
  authorizer: 'authorizer/handler.ts',
  importWorker: 'import-worker/handler.ts',
} as const;

/** Which Lambda a bundle is for. */
export type LambdaName = keyof typeof LAMBDA_ENTRIES;

/** The bundling step could not produce a deployable bundle (missing entry, esbuild or npm failure). */
export class BundlingError extends PipelineError {
  constructor(message: string, options: { cause?: unknown } = {}) {
    super(ERROR_CODES.invalidConfig, message, options);
  }
}

/** Options for {@link bundleLambda}. */
export interface BundleOptions {
  name: LambdaName;
  architecture: LambdaArchitecture;
  /** @default the repository root (nearest ancestor of this file with a package.json) */
  projectRoot?: string;
  /** Entry file; relative paths resolve against `projectRoot`. @default LAMBDA_ENTRIES[name] */
  entry?: string;
  /** Where bundles and the sharp cache are staged (git-ignored). @default `<projectRoot>/cdktf/assets` */
  assetsDir?: string;
}

/** A bundle directory, ready to be zipped as a Lambda deployment package. */
export interface Bundle {
  /** Directory holding `index.js`, `index.js.map` and `node_modules/` (sharp + its Linux binaries). */
  directory: string;
  /** Lambda `handler` setting. */
  handler: 'index.handler';
}

/** npm's `--cpu` value for a Lambda architecture. */
export function npmCpuFor(architecture: LambdaArchitecture): 'arm64' | 'x64' {
  return architecture === 'arm64' ? 'arm64' : 'x64';
}

/** Nearest ancestor of `start` holding a package.json: the repo root, from `cdktf/` or from `dist/cdktf/`. */
export function findProjectRoot(start: string = __dirname): string {
  let dir = resolve(start);
  for (;;) {
    if (existsSync(join(dir, 'package.json'))) return dir;
    const parent = dirname(dir);
    if (parent === dir) throw new BundlingError(`No package.json above ${start}; cannot locate the project root`);
    dir = parent;
  }
}

/** The exact sharp version pinned in the project's package.json (the Linux binary must match it). */
export function pinnedSharpVersion(projectRoot: string): string {
  const manifest = JSON.parse(readFileSync(join(projectRoot, 'package.json'), 'utf8')) as { dependencies?: Record<string, string> };
  const version = manifest.dependencies?.sharp;
  if (version === undefined || !/^\d+\.\d+\.\d+$/.test(version)) {
    throw new BundlingError(`package.json must pin sharp to an exact version (found ${String(version)})`);
  }
  return version;
}

/**
 * Installs sharp and its Linux (glibc) binaries for `architecture` into a cache directory, once:
 * later calls (and later synths) reuse it. npm's `--os/--cpu/--libc` pick the Lambda platform's
 * optional packages, not the build machine's.
 *
 * @returns the cached `node_modules` directory.
 * @throws BundlingError when npm fails (e.g. no registry access on first use).
 */
export function ensureSharpForLambda(assetsDir: string, sharpVersion: string, architecture: LambdaArchitecture): string {
  const cpu = npmCpuFor(architecture);
  const cacheDir = join(assetsDir, 'sharp-cache', `sharp-${sharpVersion}-linux-${cpu}-glibc`);
  const modules = join(cacheDir, 'node_modules');
  const marker = join(cacheDir, '.complete');
  if (existsSync(marker)) return modules;

  // Install into a scratch dir and rename, so an interrupted install never looks complete.
  const scratch = `${cacheDir}.partial-${process.pid}`;
  rmSync(scratch, { recursive: true, force: true });
  mkdirSync(scratch, { recursive: true });
  try {
    execFileSync(
      'npm',
      ['install', '--no-save', '--no-audit', '--no-fund', '--os=linux', `--cpu=${cpu}`, '--libc=glibc', '--prefix', scratch, `sharp@${sharpVersion}`],
      { cwd: scratch, stdio: ['ignore', 'pipe', 'pipe'] },
    );
  } catch (error) {
    rmSync(scratch, { recursive: true, force: true });
    const stderr = (error as { stderr?: Buffer }).stderr?.toString().trim() ?? '';
    throw new BundlingError(`npm could not install sharp@${sharpVersion} for linux-${cpu}: ${stderr.split('\n').slice(-3).join(' ')}`, { cause: error });
  }
  const binary = join(scratch, 'node_modules', '@img', `sharp-linux-${cpu}`);
  if (!existsSync(binary)) {
    rmSync(scratch, { recursive: true, force: true });
    throw new BundlingError(`npm installed sharp@${sharpVersion} but not @img/sharp-linux-${cpu}`);
  }
  writeFileSync(join(scratch, '.complete'), `${new Date().toISOString()}\n`);
  if (existsSync(marker)) {
    // Another process finished the same install meanwhile; never replace a folder it may be copying.
    rmSync(scratch, { recursive: true, force: true });
    return modules;
  }
  rmSync(cacheDir, { recursive: true, force: true });
  mkdirSync(dirname(cacheDir), { recursive: true });
  renameSync(scratch, cacheDir);
  return modules;
}

const built = new Map<string, Bundle>();

/**
 * Bundles one Lambda with esbuild (node24, CommonJS, source map, `sharp` external) and copies
 * sharp with its Linux binary for `architecture` into the bundle's `node_modules`. Synchronous,
 * because CDKTF constructs are. Memoised per process: the dev and prod stacks share a bundle.
 *
 * @throws BundlingError "Lambda entry point missing" when the handler file does not exist,
 *   or when esbuild or npm fails.
 * @example
 * const { directory } = bundleLambda({ name: 'ingestApi', architecture: 'arm64' });
 */
export function bundleLambda(options: BundleOptions): Bundle {
  const projectRoot = options.projectRoot ?? findProjectRoot();
  const entry = resolve(projectRoot, options.entry ?? LAMBDA_ENTRIES[options.name]);
  const assetsDir = options.assetsDir ?? join(projectRoot, 'cdktf', 'assets');
  const bundlesDir = join(assetsDir, 'bundles');
  const key = `${entry}|${bundlesDir}|${options.name}|${options.architecture}`;
  const cached = built.get(key);
  if (cached) return cached;

  if (!existsSync(entry)) {
    throw new BundlingError(`Lambda entry point missing: ${entry} (the ${options.name} bundle needs a module exporting "handler")`);
  }
  // Built in a scratch folder of this process, then renamed to a folder named by its content:
  // several synths at once (parallel test workers) never read a bundle another one is writing.
  const scratch = join(bundlesDir, `.partial-${options.name}-${options.architecture}-${process.pid}`);
  rmSync(scratch, { recursive: true, force: true });
  mkdirSync(scratch, { recursive: true });
  try {
    buildSync({
      entryPoints: [entry],
      outfile: join(scratch, 'index.js'),
      bundle: true,
      platform: 'node',
      target: 'node24',
      format: 'cjs',
      sourcemap: true,
      minify: false,
      // sharp loads a native binary at runtime; it ships as a real package next to the bundle.
      external: ['sharp'],
      nodePaths: [join(projectRoot, 'node_modules')],
      absWorkingDir: projectRoot,
      legalComments: 'none',
      logLevel: 'silent',
    });
  } catch (error) {
    throw new BundlingError(`esbuild failed for ${entry}: ${(error as Error).message}`, { cause: error });
  }
  const sharpVersion = pinnedSharpVersion(projectRoot);
  const sharpModules = ensureSharpForLambda(assetsDir, sharpVersion, options.architecture);
  cpSync(sharpModules, join(scratch, 'node_modules'), { recursive: true });

  const digest = createHash('sha256').update(readFileSync(join(scratch, 'index.js'))).update(sharpVersion).digest('hex').slice(0, 16);
  const final = join(bundlesDir, `${options.name}-${options.architecture}-${digest}`);
  if (existsSync(final)) {
    rmSync(scratch, { recursive: true, force: true });
  } else {
    try {
      renameSync(scratch, final);
    } catch (error) {
      // Another process renamed the same content first: its folder is complete, use it.
      rmSync(scratch, { recursive: true, force: true });
      if (!existsSync(final)) throw new BundlingError(`could not move the ${options.name} bundle into ${final}: ${(error as Error).message}`, { cause: error });
    }
  }
  const bundle: Bundle = { directory: final, handler: 'index.handler' };
  built.set(key, bundle);
  return bundle;
}

/**
 * A placeholder package for stacks synthesised with `bundling.mode = 'skip'` (infrastructure
 * guarantee tests only). It is not a working Lambda; the stack also carries a warning.
 */
export function placeholderBundle(assetsDir: string, name: LambdaName): Bundle {
  const directory = join(assetsDir, 'placeholders', name);
  mkdirSync(directory, { recursive: true });
  writeFileSync(join(directory, 'BUNDLING_SKIPPED.txt'), `Bundling was skipped for ${name}; this package is not deployable.\n`);
  return { directory, handler: 'index.handler' };
}
