import { execFile, spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { loadConfig } from '../../core';
import { projectRoot } from '../../local/stack/paths';
import { makeJpeg } from '../helpers/images';
import { freePorts } from '../helpers/ports';

const run = promisify(execFile);
const cli = join(projectRoot(), 'bin', 'ingest.js');

/** Resolves with everything printed once `pattern` appears on stdout, or rejects after `ms`. */
function waitForOutput(child: ChildProcessWithoutNullStreams, pattern: RegExp, ms: number): Promise<string> {
  return new Promise((resolve, reject) => {
    let output = '';
    const timer = setTimeout(() => reject(new Error(`no ${String(pattern)} within ${ms} ms; output so far:\n${output}`)), ms);
    child.stdout.on('data', (chunk: Buffer) => {
      output += chunk.toString('utf8');
      if (pattern.test(output)) {
        clearTimeout(timer);
        resolve(output);
      }
    });
  });
}

describe('`ingest start` (what `make start` runs)', () => {
  let child: ChildProcessWithoutNullStreams | undefined;
  let dir: string;

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'cli-start-'));
  });

  afterAll(() => {
    if (child && child.exitCode === null) child.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  });

  it('serves the pipeline, takes a key made by `ingest keys create`, logs to console and file, and stops on Ctrl-C', async () => {
    const [apiPort] = await freePorts(1);
    const env = { ...process.env, API_PORT: String(apiPort), LOG_LEVEL: 'INFO', CONSUMER_GROUP_ID: `cli-start-${randomUUID()}` };
    child = spawn(process.execPath, [cli, 'start'], { env });
    const banner = await waitForOutput(child, /ready\. Ctrl-C to stop\./, 90_000);
    expect(banner).toContain(`REST API (API Gateway stand-in) on http://127.0.0.1:${apiPort}`);
    expect(banner).toMatch(/development API key \(customer "dev"\): ik_\S+/);
    expect(banner).toContain('stream-runner: consuming');

    const customerId = `cli-${randomUUID().slice(0, 8)}`;
    const created = await run(process.execPath, [cli, 'keys', 'create', customerId], { env });
    const key = created.stdout.trim();
    expect(key).toMatch(/^ik_[A-Za-z0-9_-]{43}$/);

    const file = join(dir, 'started.jpg');
    writeFileSync(file, await makeJpeg({ width: 500, height: 400 }, 55));
    const uploaded = await run(process.execPath, [cli, 'upload', file, '--api', `http://127.0.0.1:${apiPort}`, '--key', key], { env });
    const record = JSON.parse(uploaded.stdout) as { imageId: string; status: string; customerId: string };
    expect(record).toMatchObject({ status: 'PROCESSED', customerId });

    const logFile = join(projectRoot(), loadConfig().local.dataDir, 'logs', 'pipeline.log');
    expect(existsSync(logFile)).toBe(true);
    const finished = readFileSync(logFile, 'utf8')
      .split('\n')
      .filter((line) => line.includes(record.imageId) && line.includes('"image finished"'))
      .map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(finished).toHaveLength(1);
    expect(finished[0]).toMatchObject({ level: 'INFO', imageId: record.imageId, source: 'api', status: 'PROCESSED' });
    expect(finished[0]?.requestId).toEqual(expect.any(String));

    const exited = new Promise<number | null>((resolve) => child?.once('exit', resolve));
    const stopping = waitForOutput(child, /stopped: /, 30_000);
    child.kill('SIGINT');
    await stopping;
    expect(await exited).toBe(0);
    await expect(fetch(`http://127.0.0.1:${apiPort}/healthz`)).rejects.toThrow();
  });
});
