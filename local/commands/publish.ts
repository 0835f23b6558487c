import { basename } from 'node:path';
import { destroyAwsClients } from '../../core';
import { createPipelineRuntime } from '../../core/runtime';
import { invalidParameterError } from '../../core/errors';
import { assertCustomerIdBounds } from '../../core/input-bounds';
import { GlueSchemaRegistry } from '../../core/adapters/glue/schema-registry';
import { IMAGE_EVENT_SCHEMA } from '../../schemas';
import { ImageEventPublisher, assertPublishable, type PublishImage, type PublishImageInput, type PublisherFraming } from '../../kafka';
import type { Command } from '../cli';
import { useLocalStack } from '../stack';
import { RefusedInputError, readImageFile, readWaitSeconds, refuseInput } from './input-checks';

const out = (line: string): void => void process.stdout.write(`${line}\n`);

/** Values of `--framing`. */
const PUBLISH_FRAMINGS = ['single-object', 'glue', 'glue-zlib'] as const;

/** How long `--wait` polls for the final record before giving up. */
const DEFAULT_WAIT_SECONDS = 120;

/** `ingest publish`: publishes one image event to the image topic, optionally waiting for the outcome. */
export const publishCommands: Record<string, Command> = {
  publish: {
    usage: 'ingest publish (<file> | --url <https-url>) [--customer <id>] [--framing single-object|glue|glue-zlib] [--wait] [--timeout <seconds>]',
    positionals: [0, 1],
    summary: 'publish an image event to the Kafka image topic (inline, S3 claim check, or URL)',
    help: [
      'Publishes one Avro image event keyed by a new eventId and prints the eventId.',
      '<file>: the bytes go inline when the message fits under KAFKA_MAX_MESSAGE_BYTES, otherwise to',
      's3://<raw bucket>/claims/<customerId>/<eventId> and the event carries that reference (claim check).',
      '--url: the event carries the URL; the consumer downloads it (https, public addresses only; with',
      'FETCH_ALLOW_LOOPBACK=true also http to 127.0.0.1, and ports in FETCH_ALLOWED_PORTS besides 443).',
      'Before sending, the event is checked with the consumer\'s own rules under this environment (customer',
      'id, file name, image size, the URL fetcher\'s admission); one it would refuse exits 2 and nothing is sent.',
      '--framing: single-object (default, C3 01 + fingerprint), glue (AWS Glue Schema Registry framing,',
      'version id from the local Glue registry) or glue-zlib (the same, body zlib-compressed).',
      '--customer: the customer id (default "dev"). --wait: poll the metadata record until it is',
      'PROCESSED or FAILED (needs `ingest start` running) and print it; exit 1 when FAILED or on timeout.',
      '--timeout: seconds --wait polls, 1-3600 (default 120).',
    ].join('\n'),
    options: { url: { type: 'string' }, customer: { type: 'string' }, framing: { type: 'string' }, wait: { type: 'boolean' }, timeout: { type: 'string' } },
    async run({ positionals, values }) {
      const [file, ...extra] = positionals;
      const url = values.url as string | undefined;
      if ((file === undefined) === (url === undefined) || extra.length > 0) {
        throw new RefusedInputError('give exactly one image: a file path or --url <https-url>');
      }
      const timeoutSeconds = readWaitSeconds(values.timeout, DEFAULT_WAIT_SECONDS);
      const framingName = (values.framing as string | undefined) ?? 'single-object';
      const customerId = (values.customer as string | undefined) ?? 'dev';
      refuseInput(() => {
        if (!PUBLISH_FRAMINGS.includes(framingName as (typeof PUBLISH_FRAMINGS)[number])) throw invalidParameterError('--framing', PUBLISH_FRAMINGS.join(' | '), framingName);
        assertCustomerIdBounds(customerId, '--customer');
      });

      const config = useLocalStack();
      const image: PublishImage =
        url !== undefined
          ? { kind: 'url', url }
          : { kind: 'bytes', data: readImageFile(file as string, { maxBytes: config.limits.maxImageBytes, describe: () => `the image limit of ${config.limits.maxImageBytes.toLocaleString('en')} bytes (MAX_IMAGE_BYTES)` }) };
      const input: PublishImageInput = { customerId, image, fileName: file === undefined ? undefined : basename(file) };
      // The consumer's own checks, under this environment's FETCH_* settings: nothing it would refuse is sent.
      refuseInput(() => assertPublishable(input, config), 'not sent (the pipeline would refuse this event): ');

      const runtime = createPipelineRuntime(config, 'ingest-cli');
      try {
        let framing: PublisherFraming = { kind: 'single-object' };
        if (framingName !== 'single-object') {
          // Idempotent: returns the version id the bootstrap registered.
          const { glueRegistryName, glueSchemaName } = config.schemaRegistry;
          const schemaVersionId = await new GlueSchemaRegistry(runtime.clients.glue).registerAvroVersion(glueRegistryName, glueSchemaName, JSON.stringify(IMAGE_EVENT_SCHEMA));
          framing = { kind: 'glue', schemaVersionId, compression: framingName === 'glue-zlib' ? 'zlib' : 'none' };
        }
        const publisher = await ImageEventPublisher.connect({ config, blobs: runtime.blobs, secrets: runtime.secrets, framing });
        let published;
        try {
          published = await publisher.publish(input);
        } finally {
          await publisher.disconnect();
        }
        out(published.eventId);
        const where = published.claimCheck ? ` (claim check s3://${published.claimCheck.bucket}/${published.claimCheck.key})` : '';
        process.stderr.write(`published to ${published.topic} partition ${published.partition} offset ${published.offset}${where}\n`);
        if (values.wait !== true) return 0;

        const deadline = Date.now() + timeoutSeconds * 1000;
        while (Date.now() < deadline) {
          const record = await runtime.metadata.get(published.eventId, new Date());
          if (record !== undefined && record.status !== 'RECEIVED') {
            out(JSON.stringify(record, null, 2));
            return record.status === 'PROCESSED' ? 0 : 1;
          }
          await new Promise((resolve) => setTimeout(resolve, 500));
        }
        process.stderr.write(`error: no final record for ${published.eventId} within ${timeoutSeconds} s; is \`ingest start\` running?\n`);
        return 1;
      } finally {
        destroyAwsClients(runtime.clients);
      }
    },
  },
};
