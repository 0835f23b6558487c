import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { ConfigError } from '../../core';
import type { Command } from '../cli';
import { stackStatus, useLocalStack } from '../stack';

const out = (line: string): void => void process.stdout.write(`${line}\n`);

/** `ingest upload <file> [--presigned]`: sends a file through the running REST API and prints the record. */
export const uploadCommand: Command = {
  usage: 'ingest upload <file> [--presigned] [--api URL] [--key KEY]',
  positionals: [1, 1],
  summary: 'upload an image through the REST API (needs `make start`)',
  help: 'Uploads <file> with POST /v1/images (or, with --presigned, through POST /v1/uploads and a presigned S3 POST, then polls GET /v1/images/{id}) and prints the record. The API URL defaults to the local adapter (API_PORT) and the key to the development key (INGEST_API_KEY).',
  options: { presigned: { type: 'boolean' }, api: { type: 'string' }, key: { type: 'string' } },
  async run({ positionals, values }) {
    const [file] = positionals;
    if (file === undefined) throw new ConfigError('name the file to upload: ingest upload <file>');
    const config = useLocalStack();
    const api = (values.api as string | undefined) ?? `http://${config.local.host}:${config.local.ports.api}`;
    const key = (values.key as string | undefined) ?? (await stackStatus(config)).resources.devApiKey;
    if (key === undefined) throw new ConfigError('no API key: pass --key or run `ingest stack up` to create the development key');
    const bytes = readFileSync(file);
    const headers = { 'x-api-key': key };
    let response: Response;
    if (!values.presigned) {
      response = await fetch(`${api}/v1/images`, { method: 'POST', body: bytes, headers: { ...headers, 'Content-Type': 'image/*', 'X-File-Name': encodeURIComponent(basename(file)) } });
    } else {
      const created = await fetch(`${api}/v1/uploads`, { method: 'POST', headers: { ...headers, 'Content-Type': 'application/json' }, body: JSON.stringify({ fileName: basename(file) }) });
      if (created.status !== 201) {
        out(await created.text());
        return 1;
      }
      const { imageId, upload } = (await created.json()) as { imageId: string; upload: { url: string; fields: Record<string, string> } };
      const form = new FormData();
      for (const [name, value] of Object.entries(upload.fields)) form.append(name, value);
      form.append('Content-Type', 'image/*');
      form.append('file', new Blob([bytes]), basename(file));
      const posted = await fetch(upload.url, { method: 'POST', body: form });
      if (posted.status >= 300) {
        out(`S3 refused the upload (${posted.status}): ${await posted.text()}`);
        return 1;
      }
      const deadline = Date.now() + 60_000;
      do {
        await new Promise((resolve) => setTimeout(resolve, 500));
        response = await fetch(`${api}/v1/images/${imageId}`, { headers });
      } while (Date.now() < deadline && (response.status === 404 || (response.status === 200 && ((await response.clone().json()) as { status: string }).status === 'RECEIVED')));
    }
    out(JSON.stringify(await response.json(), null, 2));
    return response.status < 300 ? 0 : 1;
  },
};
