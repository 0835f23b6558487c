import type { DynamoDbChangeStream } from '../../core/adapters/dynamodb/change-stream';
import type { S3ChangeArchive } from '../../core/adapters/s3/change-archive';
import type { DashboardEngine } from './engine';

/**
 * The local stand-in for DynamoDB → Kinesis → Firehose → S3: polls the table's change stream and
 * delivers what arrived as one object of change records into the analytics bucket. Firehose
 * buffers for up to 300 s in AWS; locally a delivery follows each poll that found records.
 */
export class ChangeForwarder {
  constructor(
    private readonly stream: DynamoDbChangeStream,
    private readonly archive: S3ChangeArchive,
  ) {}

  /** One poll and delivery; returns the number of records delivered. */
  async forwardOnce(): Promise<number> {
    const records = await this.stream.poll();
    await this.archive.deliver(records);
    return records.length;
  }
}

/**
 * Keeps a {@link DashboardEngine} in step with the analytics bucket: each delivered object is
 * read once (delivered objects never change), through the project's S3 adapter.
 */
export class ArchiveLoader {
  private readonly loaded = new Set<string>();

  constructor(
    private readonly archive: S3ChangeArchive,
    private readonly engine: DashboardEngine,
    private readonly retentionDays: number,
  ) {}

  /** Loads objects delivered since the last call; returns how many objects were new. */
  async refresh(now = new Date()): Promise<number> {
    const sinceDay = new Date(now.getTime() - this.retentionDays * 86_400_000).toISOString().slice(0, 10);
    const fresh = (await this.archive.list(sinceDay)).filter((o) => !this.loaded.has(o.key));
    for (const object of fresh) {
      const { lines, dt } = await this.archive.read(object);
      await this.engine.load(lines, dt);
      this.loaded.add(object.key);
    }
    return fresh.length;
  }
}

/**
 * Runs `task` every `intervalMs` until stopped, one run at a time; a failed run is reported and
 * the next one tried (the stack may be restarting).
 */
export function every(intervalMs: number, task: () => Promise<unknown>, onError: (error: unknown) => void): { stop(): Promise<void> } {
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> = Promise.resolve();
  const tick = (): void => {
    running = task()
      .then(() => undefined, onError)
      .finally(() => {
        if (!stopped) timer = setTimeout(tick, intervalMs);
      });
  };
  tick();
  return {
    async stop() {
      stopped = true;
      if (timer !== undefined) clearTimeout(timer);
      await running;
    },
  };
}
