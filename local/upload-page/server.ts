import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { join } from 'node:path';
import { projectRoot } from '../stack/paths';
import { listenLocal } from '../listen';

/** Options of {@link startUploadPage}. */
export interface UploadPageOptions {
  host: string;
  /** 0 picks a free port. */
  port: number;
  /** Base URL of the REST API the page calls (pre-filled; the person may change it). */
  apiUrl: string;
  /** Files up to this size go to `POST /v1/images`; larger ones through a presigned POST. */
  directUploadMaxBytes: number;
  /** Largest image the API accepts. */
  maxImageBytes: number;
}

/** The page's files: nothing else is served, so no path from a request ever reaches the file system. */
const FILES = {
  '/': { file: 'index.html', type: 'text/html; charset=utf-8' },
  '/index.html': { file: 'index.html', type: 'text/html; charset=utf-8' },
  '/upload.js': { file: 'upload.js', type: 'text/javascript; charset=utf-8' },
  '/upload.css': { file: 'upload.css', type: 'text/css; charset=utf-8' },
} as const;

/**
 * Scripts and styles only from the page itself; requests and images may go to any http(s)
 * origin, because the API and the presigned S3 URLs live on other origins.
 */
const CONTENT_SECURITY_POLICY = "default-src 'self'; script-src 'self'; style-src 'self'; connect-src 'self' http: https:; img-src 'self' http: https:; frame-ancestors 'none'; base-uri 'none'; form-action 'none'";

/**
 * Serves the upload page (plain HTML, CSS and one script; no build step) on its own origin, so
 * a browser calls the REST API cross-origin exactly as a customer's page would. `config.json`
 * tells the page where the API is and the size limits; it holds nothing secret (the person
 * pastes an API key or a Cognito ID token).
 * @throws Error when the port is taken.
 * @example
 * const page = await startUploadPage({ host: '127.0.0.1', port: 3001, apiUrl: 'http://127.0.0.1:3000', directUploadMaxBytes: DIRECT_UPLOAD_MAX_BYTES, maxImageBytes: config.limits.maxImageBytes });
 */
export async function startUploadPage(options: UploadPageOptions): Promise<{ server: Server; url: string; stop(): Promise<void> }> {
  const dir = join(projectRoot(), 'local', 'upload-page');
  const contents = new Map<string, { body: Buffer; type: string }>(Object.entries(FILES).map(([path, { file, type }]) => [path, { body: readFileSync(join(dir, file)), type }]));
  const settings = Buffer.from(JSON.stringify({ apiUrl: options.apiUrl, directUploadMaxBytes: options.directUploadMaxBytes, maxImageBytes: options.maxImageBytes }));
  contents.set('/config.json', { body: settings, type: 'application/json' });
  const server = createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://localhost').pathname;
    const found = contents.get(path);
    const common = { 'Content-Security-Policy': CONTENT_SECURITY_POLICY, 'X-Content-Type-Options': 'nosniff', 'Cache-Control': 'no-store', 'Referrer-Policy': 'no-referrer' };
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { ...common, Allow: 'GET, HEAD', 'Content-Type': 'text/plain; charset=utf-8' }).end('method not allowed\n');
      return;
    }
    if (found === undefined) {
      res.writeHead(404, { ...common, 'Content-Type': 'text/plain; charset=utf-8' }).end('not found\n');
      return;
    }
    res.writeHead(200, { ...common, 'Content-Type': found.type, 'Content-Length': found.body.length });
    res.end(req.method === 'HEAD' ? undefined : found.body);
  });
  return listenLocal(server, options.host, options.port, { name: 'upload page', portVariable: 'UPLOAD_PAGE_PORT' });
}
