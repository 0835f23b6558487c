/** `ingest publish` against the real local stack, with the local runner consuming a topic of the test's own. */
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { logLevel } from 'kafkajs';
import { loadConfig, type ImageRecord } from '../../core';
import { publishCommands } from '../../local/commands/publish';
import { createLocalStreamComponent } from '../../local/stream-runner';
import { makeJpeg, makeTruncatedJpeg } from '../helpers/images';
import { connectTestKafka, type TestKafka } from '../helpers/kafka';

const command = publishCommands.publish!;
let dir: string;
let topic: string;
let previousTopic: string | undefined;
let stopRunner: () => Promise<void> = async () => undefined;
let kit: TestKafka | undefined;

const UUID_LINE = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/m;
/** The pretty-printed record; the runner in this process logs single-line JSON to the same stdout. */
const RECORD_BLOCK = /^\{\n[\s\S]*?\n\}$/m;

function printedRecord(stdout: string): ImageRecord {
  return JSON.parse(RECORD_BLOCK.exec(stdout)?.[0] ?? 'null') as ImageRecord;
}

/** Runs the command, capturing what it prints on stdout. */
async function runPublish(positionals: string[], values: Record<string, string | boolean | undefined>): Promise<{ code: number; stdout: string }> {
  const chunks: string[] = [];
  const spy = jest.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    chunks.push(String(chunk));
    return true;
  });
  const stderr = jest.spyOn(process.stderr, 'write').mockImplementation(() => true);
  try {
    const code = await command.run({ positionals, values });
    return { code, stdout: chunks.join('') };
  } finally {
    spy.mockRestore();
    stderr.mockRestore();
  }
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'stream-publish-'));
  kit = await connectTestKafka({ clientId: 'stream-publish-test' });
  topic = await kit.createTopic('stream-publish');
  // The command reads its topic from the environment, like every other setting.
  previousTopic = process.env.IMAGE_TOPIC;
  process.env.IMAGE_TOPIC = topic;
  const config = loadConfig({ ...process.env, LOG_LEVEL: 'ERROR' });
  const started = await createLocalStreamComponent(config, { groupId: `stream-publish-${randomUUID()}`, log: () => undefined, kafka: { logLevel: logLevel.NOTHING } }).start();
  stopRunner = started.stop;
});

afterAll(async () => {
  await stopRunner();
  if (previousTopic === undefined) delete process.env.IMAGE_TOPIC;
  else process.env.IMAGE_TOPIC = previousTopic;
  await kit?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('ingest publish', () => {
  it('publishes a file, prints the eventId, and with --wait prints the PROCESSED record', async () => {
    const file = join(dir, 'holiday.jpg');
    writeFileSync(file, await makeJpeg({ width: 240, height: 180 }));
    const customer = `publish-${randomUUID()}`;

    const { code, stdout } = await runPublish([file], { customer, wait: true, timeout: '60' });

    expect(code).toBe(0);
    const eventId = UUID_LINE.exec(stdout)?.[0];
    expect(eventId).toBeDefined();
    const record = printedRecord(stdout);
    expect(record).toMatchObject({ imageId: eventId, status: 'PROCESSED', source: 'kafka', customerId: customer, fileName: 'holiday.jpg', width: 240, height: 180 });
  });

  it('exits 1 with the FAILED record for a corrupt image', async () => {
    const file = join(dir, 'broken.jpg');
    writeFileSync(file, await makeTruncatedJpeg());

    const { code, stdout } = await runPublish([file], { wait: true, timeout: '60' });

    expect(code).toBe(1);
    expect(printedRecord(stdout)).toMatchObject({ status: 'FAILED', error: { code: 'UNDECODABLE_IMAGE' } });
  });

  it('refuses a URL event that the consumer fetcher would refuse (a private address), sending nothing', async () => {
    const before = await kit!.endOffsets(topic);

    await expect(runPublish([], { url: 'https://10.0.0.1/cat.jpg', wait: true, timeout: '60' })).rejects.toThrow(
      'not sent (the pipeline would refuse this event): Refusing to fetch https://10.0.0.1/cat.jpg: address 10.0.0.1 is private (RFC 1918)',
    );

    expect(await kit!.endOffsets(topic)).toEqual(before);
  });

  it('refuses both a file and --url', async () => {
    await expect(runPublish(['a.jpg'], { url: 'https://example.org/a.jpg' })).rejects.toThrow('give exactly one image');
  });
});
