import { ConfigError } from '../../core';
import { assertFileNameBounds } from '../../core/input-bounds';
import type { Command } from '../cli';
import { stackStatus, useLocalStack } from '../stack';
import { requestApi, stillReceivedLine } from './api-request';
import { assertImportableUrl, readApiUrl, readBearerKey, readWaitSeconds, refuseInput } from './input-checks';

const out = (line: string): void => void process.stdout.write(`${line}\n`);

/**
 * How long `ingest import --wait` polls by default: past the fetcher's whole deadline
 * (FETCH_DEADLINE_MS, 30 s) plus processing, with room for a redelivery.
 * @default 120
 */
export const IMPORT_WAIT_DEFAULT_SECONDS = 120;

/** Pause between two polls of `GET /v1/images/{id}`. */
const POLL_INTERVAL_MS = 500;

/** `ingest import <url> [--wait]`: asks the REST API to import an image from a URL. */
export const importCommand: Command = {
  usage: 'ingest import <url> [--wait] [--timeout SECONDS] [--file-name NAME] [--idempotency-key KEY] [--api URL] [--key KEY]',
  positionals: [1, 1],
  summary: 'import an image from an https URL through the REST API (needs `make start`)',
  help: [
    'Sends POST /v1/images with {"url": <url>} and prints the accepted record (status RECEIVED; exit 0).',
    'With --wait, polls GET /v1/images/{id} until the record is PROCESSED (exit 0) or FAILED (exit 1, the reason in error),',
    `for at most --timeout seconds (1-3600, default ${IMPORT_WAIT_DEFAULT_SECONDS}; still RECEIVED then: exit 1). A refusal by the API prints its problem body and exits 1.`,
    'Before sending, the URL is checked with the API\'s own rule under this shell\'s FETCH_* settings (https only, no credentials, port 443 or FETCH_ALLOWED_PORTS,',
    'no localhost or private/loopback IP literal, at most 2048 bytes), and --timeout, --file-name, --api and --key with theirs: a refusal exits 2 and nothing is sent.',
    'The API URL defaults to the local adapter (API_PORT) and the key to the development key (INGEST_API_KEY), sent as Authorization: Bearer <key>.',
  ].join('\n'),
  options: { wait: { type: 'boolean' }, timeout: { type: 'string' }, 'file-name': { type: 'string' }, 'idempotency-key': { type: 'string' }, api: { type: 'string' }, key: { type: 'string' } },
  async run({ positionals, values }) {
    const [url] = positionals;
    if (url === undefined) throw new ConfigError('name the URL to import: ingest import <url>');
    const config = useLocalStack();
    // Everything typed is checked before the key is looked up or anything is sent (exit 2).
    const waitSeconds = readWaitSeconds(values.timeout, IMPORT_WAIT_DEFAULT_SECONDS);
    const api = readApiUrl(values.api, `http://${config.local.host}:${config.local.ports.api}`);
    const givenKey = readBearerKey(values.key);
    const fileName = values['file-name'] as string | undefined;
    if (fileName !== undefined) refuseInput(() => assertFileNameBounds(fileName, '--file-name'));
    assertImportableUrl(url, config);
    const key = givenKey ?? (await stackStatus(config)).resources.devApiKey;
    if (key === undefined) throw new ConfigError('no API key: pass --key or run `ingest stack up` to create the development key');
    const auth = { Authorization: `Bearer ${key}` };
    const idempotencyKey = values['idempotency-key'] as string | undefined;
    const accepted = await requestApi(`${api}/v1/images`, {
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
        const polled = await requestApi(`${api}/v1/images/${encodeURIComponent(record.imageId)}`, { headers: auth });
        if (polled.status !== 200) {
          out(await polled.text());
          return 1;
        }
        record = (await polled.json()) as typeof record;
      }
    }
    out(JSON.stringify(record, null, 2));
    if (values.wait === true && record.status === 'RECEIVED') {
      process.stderr.write(stillReceivedLine(record.imageId, waitSeconds));
      return 1;
    }
    return record.status === 'FAILED' ? 1 : 0;
  },
};
