import { basename } from 'node:path';
import { ConfigError } from '../../core';
import { DIRECT_UPLOAD_MAX_BYTES } from '../../ingest-api/limits';
import type { Command } from '../cli';
import { stackStatus, useLocalStack } from '../stack';
import { requestApi, stillReceivedLine } from './api-request';
import { readApiUrl, readBearerKey, readImageFile, type ImageFileLimit } from './input-checks';

const out = (line: string): void => void process.stdout.write(`${line}\n`);

/** How long `--presigned` polls for the record to leave RECEIVED after the S3 POST (ms). */
const PRESIGNED_WAIT_MS = 60_000;

const MIB = 1024 * 1024;

/** `4,669,440 bytes (~4.45 MiB)`: a size as the messages state limits. */
function bytesAndMiB(bytes: number): string {
  return `${bytes.toLocaleString('en')} bytes (~${(bytes / MIB).toFixed(2).replace(/\.?0+$/, '')} MiB)`;
}

/**
 * The size limit of an upload: the direct path's (Lambda's 6 MB invoke payload after base64,
 * `DIRECT_UPLOAD_MAX_BYTES`) or the presigned path's (the image limit, `MAX_IMAGE_BYTES`).
 */
export function uploadLimit(presigned: boolean, maxImageBytes: number): ImageFileLimit {
  const imageLimit = `the image limit of ${bytesAndMiB(maxImageBytes)}; no upload path takes it`;
  if (presigned) return { maxBytes: maxImageBytes, describe: () => imageLimit };
  return {
    maxBytes: Math.min(DIRECT_UPLOAD_MAX_BYTES, maxImageBytes),
    describe: (size) =>
      size > maxImageBytes
        ? imageLimit
        : `the direct-upload limit of ${bytesAndMiB(DIRECT_UPLOAD_MAX_BYTES)} (POST /v1/images: what Lambda's 6 MB invoke payload leaves after base64); ` +
          `add --presigned to send it through POST /v1/uploads and a presigned S3 POST, which take images up to ${bytesAndMiB(maxImageBytes)}`,
  };
}

/** The JSON value of `text`, or undefined when it is not JSON. */
function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

/** `ingest upload <file> [--presigned]`: sends a file through the running REST API and prints the record. */
export const uploadCommand: Command = {
  usage: 'ingest upload <file> [--presigned] [--api URL] [--key KEY]',
  positionals: [1, 1],
  summary: 'upload an image through the REST API (needs `make start`)',
  help: [
    'Uploads <file> with POST /v1/images (or, with --presigned, through POST /v1/uploads and a presigned S3 POST, then polls GET /v1/images/{id}) and prints the record.',
    `A direct upload takes files up to ${bytesAndMiB(DIRECT_UPLOAD_MAX_BYTES)} (Lambda's 6 MB invoke payload after base64); --presigned takes them up to the image limit (MAX_IMAGE_BYTES, 10 MiB).`,
    'A missing, unreadable or empty file, one over the limit, or a malformed --api or --key exits 2 before anything is sent.',
    `Exit 0 when the image is PROCESSED; 1 when it is FAILED (the reason in error), still RECEIVED ${PRESIGNED_WAIT_MS / 1000} s after a --presigned POST, refused by the API (its problem body), or when --api is not the ingest API.`,
    'The API URL defaults to the local adapter (API_PORT) and the key to the development key (INGEST_API_KEY); the key is sent as Authorization: Bearer <key>.',
  ].join('\n'),
  options: { presigned: { type: 'boolean' }, api: { type: 'string' }, key: { type: 'string' } },
  async run({ positionals, values }) {
    const [file] = positionals;
    if (file === undefined) throw new ConfigError('name the file to upload: ingest upload <file>');
    const config = useLocalStack();
    const presigned = values.presigned === true;
    // The file first: a bad one is refused (exit 2) before the key is looked up or anything is sent.
    const bytes = readImageFile(file, uploadLimit(presigned, config.limits.maxImageBytes));
    const api = readApiUrl(values.api, `http://${config.local.host}:${config.local.ports.api}`);
    const key = readBearerKey(values.key) ?? (await stackStatus(config)).resources.devApiKey;
    if (key === undefined) throw new ConfigError('no API key: pass --key or run `ingest stack up` to create the development key');
    const headers = { Authorization: `Bearer ${key}` };
    let response: Response;
    if (!presigned) {
      response = await requestApi(`${api}/v1/images`, { method: 'POST', body: bytes, headers: { ...headers, 'Content-Type': 'image/*', 'X-File-Name': encodeURIComponent(basename(file)) } }, 'the API');
    } else {
      const created = await requestApi(`${api}/v1/uploads`, { method: 'POST', headers: { ...headers, 'Content-Type': 'application/json' }, body: JSON.stringify({ fileName: basename(file) }) }, 'the API');
      if (created.status !== 201) {
        out(await created.text());
        return 1;
      }
      const { imageId, upload } = (await created.json()) as { imageId: string; upload: { url: string; fields: Record<string, string> } };
      const form = new FormData();
      for (const [name, value] of Object.entries(upload.fields)) form.append(name, value);
      form.append('Content-Type', 'image/*');
      form.append('file', new Blob([bytes]), basename(file));
      const posted = await requestApi(upload.url, { method: 'POST', body: form }, 'the upload bucket');
      if (posted.status >= 300) {
        out(`S3 refused the upload (${posted.status}): ${await posted.text()}`);
        return 1;
      }
      const deadline = Date.now() + PRESIGNED_WAIT_MS;
      do {
        await new Promise((resolve) => setTimeout(resolve, 500));
        response = await requestApi(`${api}/v1/images/${imageId}`, { headers }, 'the API');
      } while (Date.now() < deadline && (response.status === 404 || (response.status === 200 && ((await response.clone().json()) as { status: string }).status === 'RECEIVED')));
    }
    const text = await response.text();
    const body = parseJson(text);
    out(body === undefined ? text : JSON.stringify(body, null, 2));
    if (response.status >= 300) return 1;
    // Exit 0 means the image is PROCESSED, whichever path it took: FAILED (the reason is in
    // `error`) and a record still RECEIVED when the wait ends are exit 1, as for `ingest import --wait`.
    const { status, imageId } = (body ?? {}) as { status?: string; imageId?: string };
    if (status === 'RECEIVED') process.stderr.write(stillReceivedLine(imageId ?? '', PRESIGNED_WAIT_MS / 1000));
    return status === 'PROCESSED' ? 0 : 1;
  },
};
