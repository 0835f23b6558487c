import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App } from 'cdktn';
import type { PipelineFunction } from '../../../cdktf/constructs/compute';
import { BundlingError, bundleLambda, findProjectRoot, LAMBDA_ENTRIES, pinnedSharpVersion, type LambdaName } from '../../../cdktf/bundling';
import { resolveStackProps } from '../../../cdktf/props';
import { ImagePipelineStack } from '../../../cdktf/stack';
import { ELF_MACHINE, elfMachine, readZip, type ZipEntry } from './zip-reader';

// Builds the real bundles from the real handler entry points, exactly as `make synth` does.
// The first run installs sharp's Linux binary into cdktf/assets (npm registry); later runs reuse it.
jest.setTimeout(180_000);

const projectRoot = findProjectRoot(__dirname);
const sharpVersion = pinnedSharpVersion(projectRoot);

/** The names esbuild's CommonJS output annotates as exports (`0 && (module.exports = { ... })`). */
function exportedNames(bundle: string): string[] {
  const match = /0 && \(module\.exports = \{([^}]*)\}\);/.exec(bundle);
  return (match?.[1] ?? '').split(',').map((s) => s.trim()).filter((s) => s.length > 0);
}

function sharpBinaryEntries(files: Map<string, ZipEntry> | string[], cpu: 'arm64' | 'x64'): string[] {
  const names = Array.isArray(files) ? files : [...files.keys()];
  const pattern = new RegExp(`^node_modules/@img/sharp-linux-${cpu}/lib/sharp-linux-${cpu}[^/]*\\.node$`);
  return names.filter((n) => pattern.test(n));
}

describe('the synthesised Lambda packages (default arm64)', () => {
  let outdir: string;
  let zips: Record<LambdaName, Map<string, ZipEntry>>;

  beforeAll(() => {
    outdir = mkdtempSync(join(tmpdir(), 'cdktf-bundles-'));
    const app = new App({ outdir });
    const stack = new ImagePipelineStack(app, 'image-pipeline-dev', resolveStackProps('dev'));
    app.synth();
    const stackDir = join(outdir, 'stacks', 'image-pipeline-dev');
    const json = JSON.parse(readFileSync(join(stackDir, 'cdk.tf.json'), 'utf8')) as {
      resource: { aws_lambda_function: Record<string, { filename: string; architectures: string[] }> };
    };
    const zipOf = (fn: PipelineFunction): Map<string, ZipEntry> => {
      const body = json.resource.aws_lambda_function[stack.getLogicalId(fn.fn)];
      if (!body) throw new Error('function missing from the synthesised stack');
      expect(body.architectures).toEqual(['arm64']);
      return readZip(readFileSync(join(stackDir, body.filename)));
    };
    zips = {
      ingestApi: zipOf(stack.compute.ingestApi),
      uploadHandler: zipOf(stack.compute.uploadHandler),
      streamConsumer: zipOf(stack.compute.streamConsumer),
      reconciler: zipOf(stack.compute.reconciler),
      authorizer: zipOf(stack.compute.authorizer),
      importWorker: zipOf(stack.urlImport.worker),
    };
  });

  afterAll(() => {
    if (outdir) rmSync(outdir, { recursive: true, force: true });
  });

  test.each(Object.keys(LAMBDA_ENTRIES) as LambdaName[])('%s: index.js exports handler, with its source map', (name) => {
    const files = zips[name];
    const index = files.get('index.js');
    expect(index).toBeDefined();
    expect(exportedNames(index?.read().toString('utf8') ?? '')).toContain('handler');
    expect(files.has('index.js.map')).toBe(true);
  });

  test.each((Object.keys(LAMBDA_ENTRIES) as LambdaName[]).filter((name) => name !== 'authorizer'))('%s: loads sharp from node_modules, never inlined', (name) => {
    expect(zips[name].get('index.js')?.read().toString('utf8')).toMatch(/require\("sharp"\)/);
  });

  test('authorizer: renders nothing, so its code never loads sharp', () => {
    expect(zips.authorizer.get('index.js')?.read().toString('utf8')).not.toMatch(/require\("sharp"\)/);
  });

  test.each(Object.keys(LAMBDA_ENTRIES) as LambdaName[])('%s: carries the pinned sharp with the Linux arm64 binary and libvips, not the build machine\'s', (name) => {
    const files = zips[name];
    const manifest = JSON.parse(files.get('node_modules/sharp/package.json')?.read().toString('utf8') ?? '{}') as { version?: string };
    expect(manifest.version).toBe(sharpVersion);
    const binaries = sharpBinaryEntries(files, 'arm64');
    expect(binaries).toHaveLength(1);
    expect(elfMachine(files.get(binaries[0] as string)?.read() ?? Buffer.alloc(0))).toBe(ELF_MACHINE.arm64);
    const libvips = [...files.keys()].filter((n) => /^node_modules\/@img\/sharp-libvips-linux-arm64\/lib\/libvips-cpp\.so/.test(n));
    expect(libvips.length).toBeGreaterThan(0);
    expect(elfMachine(files.get(libvips[0] as string)?.read() ?? Buffer.alloc(0))).toBe(ELF_MACHINE.arm64);
    expect(sharpBinaryEntries(files, 'x64')).toEqual([]);
  });
});

describe('bundleLambda', () => {
  test('x86_64 bundles carry the Linux x64 sharp binary', () => {
    // Default assets dir: shares the sharp cache with `make synth`; the bundle dir is per architecture.
    const { directory } = bundleLambda({ name: 'ingestApi', architecture: 'x86_64', projectRoot });
    const libDir = join(directory, 'node_modules', '@img', 'sharp-linux-x64', 'lib');
    const binaries = sharpBinaryEntries(readdirSync(libDir).map((f) => `node_modules/@img/sharp-linux-x64/lib/${f}`), 'x64');
    expect(binaries).toHaveLength(1);
    expect(elfMachine(readFileSync(join(directory, binaries[0] as string)))).toBe(ELF_MACHINE.x86_64);
    expect(existsSync(join(directory, 'node_modules', '@img', 'sharp-linux-arm64'))).toBe(false);
    expect(exportedNames(readFileSync(join(directory, 'index.js'), 'utf8'))).toContain('handler');
  });

  test('a missing entry point fails with a message naming the file', () => {
    const emptyProject = mkdtempSync(join(tmpdir(), 'cdktf-empty-'));
    try {
      writeFileSync(join(emptyProject, 'package.json'), JSON.stringify({ dependencies: { sharp: sharpVersion } }));
      const attempt = (): unknown => bundleLambda({ name: 'streamConsumer', architecture: 'arm64', projectRoot: emptyProject });
      expect(attempt).toThrow(BundlingError);
      expect(attempt).toThrow(`Lambda entry point missing: ${join(emptyProject, LAMBDA_ENTRIES.streamConsumer)}`);
    } finally {
      rmSync(emptyProject, { recursive: true, force: true });
    }
  });
});
