import { readFileSync } from 'node:fs';
import { createServer, type Server, type ServerResponse } from 'node:http';
import { join } from 'node:path';
import { DASHBOARD_VISUALS, DASHBOARD_WINDOWS } from '../../core/analytics';
import { PipelineError } from '../../core/errors';
import { projectRoot } from '../stack/paths';
import { parseDashboardQuery, type DashboardData, type DashboardQuery } from './engine';
import { listenLocal } from '../listen';

/** Options of {@link startDashboardServer}. */
export interface DashboardServerOptions {
  host: string;
  /** 0 picks a free port. */
  port: number;
  /** Seconds between the page's refreshes. @default 10 */
  refreshSeconds?: number;
  /** Computes the figures for one request. */
  data(query: DashboardQuery): Promise<DashboardData>;
}

/** Scripts, styles and data only from the page's own origin: it works with no network. */
const CONTENT_SECURITY_POLICY = "default-src 'self'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:; frame-ancestors 'none'; base-uri 'none'; form-action 'none'";

function staticFiles(): Map<string, { body: Buffer; type: string }> {
  const page = join(projectRoot(), 'local', 'dashboard', 'page');
  const chart = join(projectRoot(), 'node_modules', 'chart.js', 'dist', 'chart.umd.min.js');
  const html = { type: 'text/html; charset=utf-8', body: readFileSync(join(page, 'index.html')) };
  return new Map([
    ['/', html],
    ['/index.html', html],
    ['/dashboard.js', { type: 'text/javascript; charset=utf-8', body: readFileSync(join(page, 'dashboard.js')) }],
    ['/dashboard.css', { type: 'text/css; charset=utf-8', body: readFileSync(join(page, 'dashboard.css')) }],
    ['/vendor/chart.umd.min.js', { type: 'text/javascript; charset=utf-8', body: readFileSync(chart) }],
  ]);
}

function send(res: ServerResponse, status: number, type: string, body: Buffer | string): void {
  res.writeHead(status, {
    'Content-Type': type,
    'Content-Length': Buffer.byteLength(body),
    'Content-Security-Policy': CONTENT_SECURITY_POLICY,
    'X-Content-Type-Options': 'nosniff',
    'Cache-Control': 'no-store',
  });
  res.end(body);
}

function problem(res: ServerResponse, status: number, title: string, detail: string): void {
  send(res, status, 'application/problem+json', JSON.stringify({ type: 'about:blank', title, status, detail }));
}

/**
 * Serves the dashboard page, Chart.js from `node_modules`, `/api/layout` (the visuals, windows
 * and refresh interval) and `/api/dashboard?window=24h&customer=…` (the figures).
 * @throws Error when the port is taken.
 * @example
 * const server = await startDashboardServer({ host: '127.0.0.1', port: 3002, data: (q) => engine.query(q) });
 */
export async function startDashboardServer(options: DashboardServerOptions): Promise<{ server: Server; url: string; stop(): Promise<void> }> {
  const files = staticFiles();
  const layout = JSON.stringify({
    refreshSeconds: options.refreshSeconds ?? 10,
    windows: Object.keys(DASHBOARD_WINDOWS),
    visuals: DASHBOARD_VISUALS.map(({ id, title, local }) => ({ id, title, chart: local })),
  });
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    if (req.method !== 'GET') return problem(res, 405, 'Method Not Allowed', 'only GET is served');
    if (url.pathname === '/api/layout') return send(res, 200, 'application/json', layout);
    if (url.pathname === '/api/dashboard') {
      let query: DashboardQuery;
      try {
        query = parseDashboardQuery(url.searchParams.get('window'), url.searchParams.get('customer'));
      } catch (error) {
        return problem(res, 400, 'Bad Request', (error as Error).message);
      }
      options.data(query).then(
        (data) => send(res, 200, 'application/json', JSON.stringify(data)),
        (error: unknown) => problem(res, 503, 'Service Unavailable', error instanceof PipelineError ? error.message : 'the dashboard query failed'),
      );
      return;
    }
    const file = files.get(url.pathname);
    if (file === undefined) return problem(res, 404, 'Not Found', 'no such page');
    return send(res, 200, file.type, file.body);
  });
  return listenLocal(server, options.host, options.port, { name: 'dashboard', portVariable: 'DASHBOARD_PORT' });
}
