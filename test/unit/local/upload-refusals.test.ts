/**
 * `ingest upload` says what is wrong in one line: a file it cannot read, a file over the limit of
 * the path it would take (checked before anything is sent), an API it cannot reach. It sends the
 * key as `Authorization: Bearer <key>`. The API here is a plain HTTP server of the test's own on
 * 127.0.0.1, standing in for the local adapter; it records what reaches it.
 */
import http, { type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdirSync, mkdtempSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MAX_IMAGE_BYTES } from '../../../core';
import { DIRECT_UPLOAD_MAX_BYTES } from '../../../ingest-api/limits';
import { unusedLoopbackPort } from '../../helpers/loopback-server';
import { runIngest } from '../../helpers/ingest-cli';

let dir: string;
let server: http.Server;
let api: string;
const received: { method?: string; url?: string; headers: IncomingHttpHeaders; bytes: number }[] = [];

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'upload-refusals-'));
  server = http.createServer((req, res) => {
    let bytes = 0;
    let body = '';
    req.on('data', (chunk: Buffer) => {
      bytes += chunk.length;
      if (body.length < 1024) body += chunk.toString('utf8');
    });
    req.on('end', () => {
      received.push({ method: req.method, url: req.url, headers: req.headers, bytes });
      const json = (status: number, body: unknown): void => void res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
      // The presigned path: POST /v1/uploads names an image whose final status the file name
      // chooses, the S3 POST goes to this server too, and GET answers that status.
      if (req.url === '/v1/uploads') {
        const { fileName } = JSON.parse(body) as { fileName: string };
        const imageId = fileName.startsWith('fails') ? 'img-failed' : 'img-processed';
        return json(201, { imageId, upload: { url: `${api}/bucket`, fields: { key: `incoming/${imageId}` } } });
      }
      if (req.url === '/bucket') return void res.writeHead(204).end();
      if (req.url === '/v1/images/img-failed') return json(200, { imageId: 'img-failed', status: 'FAILED', error: { code: 'UNSUPPORTED_IMAGE', message: 'not an image' } });
      if (req.url === '/v1/images/img-processed') return json(200, { imageId: 'img-processed', status: 'PROCESSED' });
      json(201, { imageId: 'img-1', status: 'PROCESSED' });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  api = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  rmSync(dir, { recursive: true, force: true });
});

beforeEach(() => {
  received.length = 0;
});

/** A sparse file of `size` bytes: the size check reads its length, not its bytes. */
function fileOf(name: string, size: number): string {
  const path = join(dir, name);
  writeFileSync(path, '');
  truncateSync(path, size);
  return path;
}

describe('ingest upload: files it cannot send', () => {
  it.each([
    ['a missing file', () => join(dir, 'missing.jpg'), (p: string) => `error: no such file: ${p}\n`],
    ['a directory', () => mkdirSync(join(dir, 'album'), { recursive: true }) ?? join(dir, 'album'), (p: string) => `error: ${p} is a directory; name an image file\n`],
    ['a path through a file', () => join(fileOf('plain.jpg', 10), 'inner.jpg'), (p: string) => `error: no such file: ${p} (a part of the path is not a directory)\n`],
  ])('%s: exit 2 with one line, nothing sent', async (_what, make, expected) => {
    const path = make();
    for (const flags of [[], ['--presigned']]) {
      const { code, stderr } = await runIngest(['upload', path, '--api', api, '--key', 'k', ...flags]);
      expect({ flags, code, stderr }).toEqual({ flags, code: 2, stderr: expected(path) });
    }
    expect(received).toEqual([]);
  });

  it('a file over the direct-upload limit: exit 2 naming the limit and --presigned, nothing sent', async () => {
    const path = fileOf('five-mib.jpg', DIRECT_UPLOAD_MAX_BYTES + 1);
    const { code, stderr } = await runIngest(['upload', path, '--api', api, '--key', 'k']);
    expect(code).toBe(2);
    expect(stderr).toBe(
      `error: ${path} is 4,669,441 bytes, over the direct-upload limit of 4,669,440 bytes (~4.45 MiB) (POST /v1/images: what Lambda's 6 MB invoke payload leaves after base64); ` +
        'add --presigned to send it through POST /v1/uploads and a presigned S3 POST, which take images up to 10,485,760 bytes (~10 MiB)\n',
    );
    expect(received).toEqual([]);
  });

  it.each([[[]], [['--presigned']]])('a file over the image limit (%j): exit 2, no path takes it, nothing sent', async (flags) => {
    const path = fileOf('eleven-mib.jpg', MAX_IMAGE_BYTES + 1);
    const { code, stderr } = await runIngest(['upload', path, '--api', api, '--key', 'k', ...flags]);
    expect(code).toBe(2);
    expect(stderr).toBe(`error: ${path} is 10,485,761 bytes, over the image limit of 10,485,760 bytes (~10 MiB); no upload path takes it\n`);
    expect(received).toEqual([]);
  });
});

describe('ingest upload: refused before sending', () => {
  it.each([[[]], [['--presigned']]])('an empty (0-byte) file (%j): exit 2 naming the file, nothing sent', async (flags) => {
    const path = fileOf('empty.jpg', 0);
    const { code, stderr, sockets } = await runIngest(['upload', path, '--api', api, '--key', 'k', ...flags]);
    expect({ code, stderr, sockets }).toEqual({ code: 2, stderr: `error: ${path} is empty (0 bytes); name an image file\n`, sockets: [] });
    expect(received).toEqual([]);
  });

  it.each([
    ['not a url', '"not a url"'],
    ['ftp://127.0.0.1/', '"ftp://127.0.0.1/"'],
    ['http://user:secret@127.0.0.1:3000', '"http://user:secret@127.0.0.1:3000"'],
    ['http://127.0.0.1:99999', '"http://127.0.0.1:99999"'],
  ])('--api %j: exit 2 naming --api and what it takes, not a bare "Invalid URL"', async (value, shown) => {
    const path = fileOf('small-for-api.jpg', 100);
    const { code, stderr, sockets } = await runIngest(['upload', path, '--api', value, '--key', 'k']);
    expect({ code, sockets }).toEqual({ code: 2, sockets: [] });
    expect(stderr).toBe(`error: Expected an http or https URL without credentials, query or fragment (e.g. http://127.0.0.1:3000) for --api but received ${shown} of type string\n`);
  });

  it.each([['two words'], ['line\nbreak'], ['']])('--key %j: exit 2 naming --key, the key not echoed, nothing sent', async (key) => {
    const path = fileOf('small-for-key.jpg', 100);
    const { code, stderr } = await runIngest(['upload', path, '--api', api, `--key=${key}`]);
    expect(code).toBe(2);
    expect(stderr).toContain('for --key;');
    expect(stderr.trim().split('\n')).toHaveLength(1);
    expect(received).toEqual([]);
  });
});

describe('ingest upload: sending', () => {
  it('sends a file at the direct limit to POST /v1/images with Authorization: Bearer, and prints the answer', async () => {
    const path = fileOf('at-limit.jpg', DIRECT_UPLOAD_MAX_BYTES);
    const { code, stdout } = await runIngest(['upload', path, '--api', api, '--key', 'ik_test-key']);
    expect(code).toBe(0);
    expect(JSON.parse(stdout)).toEqual({ imageId: 'img-1', status: 'PROCESSED' });
    expect(received).toHaveLength(1);
    expect(received[0]).toMatchObject({ method: 'POST', url: '/v1/images', bytes: DIRECT_UPLOAD_MAX_BYTES });
    expect(received[0]?.headers.authorization).toBe('Bearer ik_test-key');
    expect(received[0]?.headers['x-api-key']).toBeUndefined();
  });

  it.each([
    ['fails.jpg', 'FAILED', 1],
    ['works.jpg', 'PROCESSED', 0],
  ])('--presigned: %s ends %s, exit %i, the record printed', async (name, status, exitCode) => {
    const path = fileOf(name, 100);
    const { code, stdout } = await runIngest(['upload', path, '--presigned', '--api', api, '--key', 'ik_test-key']);
    expect(code).toBe(exitCode);
    expect(JSON.parse(stdout)).toMatchObject({ status });
    expect(received.map((r) => `${r.method} ${r.url}`).slice(0, 2)).toEqual(['POST /v1/uploads', 'POST /bucket']);
  });

  it.each([
    ['a 404 with an empty body', (res: http.ServerResponse) => res.writeHead(404).end(), /answered HTTP 404 \(no content type\) with an empty body;/],
    ['another server\'s error page', (res: http.ServerResponse) => res.writeHead(500, { 'content-type': 'text/html' }).end(`<html>\n<h1>Internal Server Error</h1>${'x'.repeat(200)}</html>`), /answered HTTP 500 \(text\/html\) with "<html> <h1>Internal Server Error<\/h1>x+…";/],
    ['a 200 that is not JSON', (res: http.ServerResponse) => res.writeHead(200, { 'content-type': 'text/plain' }).end('ok'), /answered HTTP 200 \(text\/plain\) with "ok";/],
  ])('--api at a server that is not the API (%s): exit 1 with one line naming it, not its body', async (_what, answer, detail) => {
    const foreign = http.createServer((req, res) => req.resume().on('end', () => answer(res)));
    await new Promise<void>((resolve) => foreign.listen(0, '127.0.0.1', resolve));
    try {
      const origin = `http://127.0.0.1:${(foreign.address() as AddressInfo).port}`;
      const { code, stdout, stderr } = await runIngest(['upload', fileOf('foreign.jpg', 100), '--api', origin, '--key', 'k']);
      expect(code).toBe(1);
      expect(stdout).toBe('');
      expect(stderr.trim().split('\n')).toHaveLength(1);
      expect(stderr).toMatch(new RegExp(`^error: ${origin.replace(/\./g, '\\.')} is not the ingest API: POST /v1/images `));
      expect(stderr).toMatch(detail);
      expect(stderr).toContain('point --api at the ingest API');
    } finally {
      foreign.closeAllConnections();
      await new Promise<void>((resolve) => foreign.close(() => resolve()));
    }
  });

  it('an API that is not there: exit 1 with one line naming the URL, not "fetch failed"', async () => {
    const port = await unusedLoopbackPort();
    const path = fileOf('small.jpg', 100);
    const { code, stderr } = await runIngest(['upload', path, '--api', `http://127.0.0.1:${port}`, '--key', 'k']);
    expect(code).toBe(1);
    expect(stderr).toBe(
      `error: cannot reach the API at http://127.0.0.1:${port} (ECONNREFUSED: connection refused: nothing listens there); ` +
        'the stack and the API may not be running: start them with `ingest start` (or `make start`), or point --api at a running API\n',
    );
  });
});
