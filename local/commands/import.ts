import { ConfigError } from '../../core';
import type { Command } from '../cli';
import { stackStatus, useLocalStack } from '../stack';

const out = (line: string): void => void process.stdout.write(`${line}\n`);

/**
 * How long `ingest import --wait` polls by default: past the fetcher's whole deadline
 * (FETCH_DEADLINE_MS, 30 s) plus processing, with room for a redelivery.
 * @default 120
 */
export const IMPORT_WAIT_DEFAULT_SECONDS = 120;

/** Pause between two polls of `GET /v1/images/{id}`. */
const POLL_INTERVAL_MS = 500;

/** Calls the API; a connection failure becomes a message saying where and what to check. */
async function call(url: string, init: RequestInit): Promise<Response> {
  try {
    return await fetch(url, init);
  } catch (error) {
    const reason = (error as { cause?: { code?: string } }).cause?.code ?? (error as Error).message;
    throw new ConfigError(`cannot reach the API at ${new URL(url).origin} (${reason}); is \`make start\` running, or is --api right?`);
  }
}

function readWaitSeconds(value: string | boolean | undefined): number {
  if (value === undefined) return IMPORT_WAIT_DEFAULT_SECONDS;
  const seconds = typeof value === 'string' && /^\d{1,5}$/.test(value) ? Number(value) : NaN;
  if (!(seconds >= 1 && seconds <= 3600)) throw new ConfigError(`--timeout must be a whole number of seconds between 1 and 3600, got "${String(value)}"`);
  return seconds;
}

/** `ingest import <url> [--wait]`: asks the REST API to import an image from a URL. */
export const importCommand: Command = {
  usage: 'ingest import <url> [--wait] [--timeout SECONDS] [--file-name NAME] [--idempotency-key KEY] [--api URL] [--key KEY]',
  positionals: [1, 1],
  summary: 'import an image from an https URL through the REST API (needs `make start`)',
  help: [
    'Sends POST /v1/images with {"url": <url>} and prints the accepted record (status RECEIVED; exit 0).',
    'With --wait, polls GET /v1/images/{id} until the record is PROCESSED (exit 0) or FAILED (exit 1, the reason in error),',
    `for at most --timeout seconds (default ${IMPORT_WAIT_DEFAULT_SECONDS}; still RECEIVED then: exit 1). A refusal by the API prints its problem body and exits 1.`,
    'The API URL defaults to the local adapter (API_PORT) and the key to the development key (INGEST_API_KEY), sent as Authorization: Bearer <key>.',
  ].join('\n'),
  options: { wait: { type: 'boolean' }, timeout: { type: 'string' }, 'file-name': { type: 'string' }, 'idempotency-key': { type: 'string' }, api: { type: 'string' }, key: { type: 'string' } },
  async run({ positionals, values }) {
    const [url] = positionals;
    if (url === undefined) throw new ConfigError('name the URL to import: ingest import <url>');
    const waitSeconds = readWaitSeconds(values.timeout);
    const config = useLocalStack();
    const api = (values.api as string | undefined) ?? `http://${config.local.host}:${config.local.ports.api}`;
    const key = (values.key as string | undefined) ?? (await stackStatus(config)).resources.devApiKey;
    if (key === undefined) throw new ConfigError('no API key: pass --key or run `ingest stack up` to create the development key');
    const auth = { Authorization: `Bearer ${key}` };
    const fileName = values['file-name'] as string | undefined;
    const idempotencyKey = values['idempotency-key'] as string | undefined;
    const accepted = await call(`${api}/v1/images`, {
      method: 'POST',
      headers: { ...auth, 'Content-Type': 'application/json', ...(idempotencyKey === undefined ? {} : { 'Idempotency-Key': idempotencyKey }) },
      body: JSON.stringify({ url, ...(fileName === undefined ? {} : { fileName }) }),
    });
    if (accepted.status !== 202) {
      out(await accepted.text());
      return 1;
    }
    let record = (await accepted.json()) as { imageId: string; status: string };
    if (values.wait === true) {
      const deadline = Date.now() + waitSeconds * 1000;
      while (record.status === 'RECEIVED' && Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, POLL_INTERVAL_MS));
        const polled = await call(`${api}/v1/images/${encodeURIComponent(record.imageId)}`, { headers: auth });
        if (polled.status !== 200) {
          out(await polled.text());
          return 1;
        }
        record = (await polled.json()) as typeof record;
      }
    }
    out(JSON.stringify(record, null, 2));
    if (values.wait === true && record.status === 'RECEIVED') {
      process.stderr.write(`error: image ${record.imageId} is still RECEIVED after ${waitSeconds} s; check again with GET /v1/images/${record.imageId}\n`);
      return 1;
    }
    return record.status === 'FAILED' ? 1 : 0;
  },
};
