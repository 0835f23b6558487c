import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { accessSync, constants, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { loadConfig } from '../../core';
import { projectRoot } from '../../local/stack/paths';
import { makeJpeg } from '../helpers/images';
import { INGEST_CLI, startIngest, type IngestProcess } from '../helpers/ingest-process';
import { freePorts } from '../helpers/tcp-ports';

const run = promisify(execFile);
const cli = INGEST_CLI;

/**
 * The machine's own `node` and a PATH without the project's `.local/node`: what a user's shell
 * runs for `npx ingest …` (Node 20 on the build machines, so `bin/ingest.js` must re-run itself
 * under Node 24; on a machine with Node 22+ it is simply that node).
 */
function machineNode(): { node: string; path: string } {
  // Only this checkout's own Node is left out (make put it first); any other is the user's.
  const projectNodeBin = join(projectRoot(), '.local', 'node', 'bin');
  const dirs = (process.env.PATH ?? '').split(delimiter).filter((dir) => dir !== '' && resolve(dir) !== projectNodeBin);
  for (const dir of dirs) {
    try {
      accessSync(join(dir, 'node'), constants.X_OK);
      return { node: join(dir, 'node'), path: dirs.join(delimiter) };
    } catch {
      // not in this directory
    }
  }
  return { node: process.execPath, path: dirs.join(delimiter) };
}

describe('`ingest start` (what `make start` runs)', () => {
  let ingest: IngestProcess | undefined;
  let dir: string;

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'cli-start-'));
  });

  afterAll(() => {
    ingest?.kill();
    rmSync(dir, { recursive: true, force: true });
  });

  it('serves the pipeline, takes a key made by `ingest keys create`, logs to console and file, and stops on Ctrl-C', async () => {
    const [apiPort, pagePort, dashboardPort] = await freePorts(3);
    const env = { ...process.env, API_PORT: String(apiPort), UPLOAD_PAGE_PORT: String(pagePort), DASHBOARD_PORT: String(dashboardPort), LOG_LEVEL: 'INFO', CONSUMER_GROUP_ID: `cli-start-${randomUUID()}` };
    ingest = startIngest(['start'], env);
    const banner = await ingest.waitForOutput(/ready\. Ctrl-C to stop\./, 90_000);
    expect(banner).toContain(`REST API (API Gateway stand-in) on http://127.0.0.1:${apiPort}`);
    expect(banner).toMatch(/development API key \(customer "dev"\): ik_\S+/);
    expect(banner).toContain('stream-runner: consuming');
    expect(banner).toContain(`upload-page: open http://127.0.0.1:${pagePort}/ in a browser`);
    expect((await fetch(`http://127.0.0.1:${pagePort}/`)).headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(banner).toContain(`dashboard: operations dashboard on http://127.0.0.1:${dashboardPort}/`);

    const customerId = `cli-${randomUUID().slice(0, 8)}`;
    const created = await run(process.execPath, [cli, 'keys', 'create', customerId], { env });
    const key = created.stdout.trim();
    expect(key).toMatch(/^ik_[A-Za-z0-9_-]{43}$/);

    const file = join(dir, 'started.jpg');
    writeFileSync(file, await makeJpeg({ width: 500, height: 400 }, 55));
    const uploaded = await run(process.execPath, [cli, 'upload', file, '--api', `http://127.0.0.1:${apiPort}`, '--key', key], { env });
    const record = JSON.parse(uploaded.stdout) as { imageId: string; status: string; customerId: string };
    expect(record).toMatchObject({ status: 'PROCESSED', customerId });

    // The README's commands, run as a user's shell runs them: no Node version (or any) warning.
    const user = machineNode();
    const userEnv = { ...env, PATH: user.path };
    const direct = await run(user.node, [cli, 'upload', file, '--api', `http://127.0.0.1:${apiPort}`, '--key', key], { env: userEnv });
    expect(JSON.parse(direct.stdout)).toMatchObject({ status: 'PROCESSED', customerId });
    expect(direct.stderr).not.toMatch(/warning/i);
    const published = await run(user.node, [cli, 'publish', file, '--customer', customerId, '--wait'], { env: userEnv });
    expect(published.stdout).toContain('PROCESSED');
    expect(published.stderr).not.toMatch(/warning/i);

    const logFile = join(resolve(projectRoot(), loadConfig().local.dataDir), 'logs', 'pipeline.log');
    expect(existsSync(logFile)).toBe(true);
    const finished = readFileSync(logFile, 'utf8')
      .split('\n')
      .filter((line) => line.includes(record.imageId) && line.includes('"image finished"'))
      .map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(finished).toHaveLength(1);
    expect(finished[0]).toMatchObject({ level: 'INFO', imageId: record.imageId, source: 'api', status: 'PROCESSED' });
    expect(finished[0]?.requestId).toEqual(expect.any(String));

    const stopping = ingest.waitForOutput(/stopped: /, 30_000);
    ingest.child.kill('SIGINT');
    await stopping;
    expect(await ingest.exited).toBe(0);
    await expect(fetch(`http://127.0.0.1:${apiPort}/healthz`)).rejects.toThrow();
  });
});
