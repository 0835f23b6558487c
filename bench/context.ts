/**
 * What every benchmark phase shares: config, a driver-side runtime (publishing, cleanup), the
 * local stack's server pids, where files go, and a record of everything created so it can be
 * removed at the end.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DeleteObjectsCommand } from '@aws-sdk/client-s3';
import { BatchWriteCommand } from '@aws-sdk/lib-dynamodb';
import { Kafka, logLevel } from 'kafkajs';
import type { Config } from '../core';
import type { PipelineRuntime } from '../core/runtime';
import type { StackPaths } from '../local/stack';
import type { Arrival } from './inbox';
import { processCpuMs } from './measure';

/** Command-line options of `bench/run.js`. */
export interface BenchOptions {
  /** Phases to run. @default every phase */
  phases: ReadonlySet<PhaseName>;
  /** Write V8 CPU profiles of the measured workers to `bench/out/profiles`. @default false */
  profile: boolean;
  /** Events of the stream saturation run (at least 200 for a reportable figure). @default 200 */
  streamEvents: number;
  /** Real photos in the encoder study (`--quick`: 3). @default 6 */
  encoderPhotos: number;
  /** Timed repeats of each encoder-study measurement (`--quick`: 2). @default 3 */
  encoderRepeats: number;
}

/** The phases of one run, in the order they run. */
export const PHASES = ['encoders', 'ceiling', 'breakdown', 'avro', 'framing', 'stream', 'rest', 'memory', 'hostile', 'dashboard'] as const;
/** One phase of the benchmark. */
export type PhaseName = (typeof PHASES)[number];

/** Shared state of one benchmark run. */
export interface BenchContext {
  options: BenchOptions;
  config: Config;
  /** The driver's own runtime: publisher blobs, metadata reads, cleanup. Not measured. */
  runtime: PipelineRuntime;
  kafka: Kafka;
  /** Short id naming this run's topics, groups, customers and queues. */
  runId: string;
  outDir: string;
  /** Compiled corpus files, for workers to read. */
  corpusFiles: string[];
  /** Local stand-ins by name (`kafka`, `dynamodb`, `moto`) with their pids, for CPU accounting. */
  stackPids: Map<string, number>;
  log(line: string): void;
  /** Notifications received, by image id: their objects and records are removed at the end. */
  created: Map<string, Arrival>;
  /** Claim-check objects written by the publisher. */
  claimChecks: { bucket: string; key: string }[];
  topics: string[];
  groups: string[];
  /** Work to undo at the end, last first. */
  cleanups: (() => Promise<unknown>)[];
}

/** Pids of the stack's servers from `<run dir>/*.pid`, only those alive. */
export function readStackPids(paths: StackPaths): Map<string, number> {
  const pids = new Map<string, number>();
  if (!existsSync(paths.run)) return pids;
  for (const file of readdirSync(paths.run).filter((f) => f.endsWith('.pid'))) {
    const pid = Number(readFileSync(join(paths.run, file), 'utf8').trim());
    if (Number.isInteger(pid) && pid > 0 && processCpuMs(pid) !== undefined) pids.set(file.replace(/\.pid$/, ''), pid);
  }
  return pids;
}

/** A kafkajs client for topic administration and publishing, quiet unless something breaks. */
export function driverKafka(config: Config): Kafka {
  return new Kafka({ clientId: 'image-pipeline-bench', brokers: config.kafka.brokers, logLevel: logLevel.ERROR, retry: { retries: 5 } });
}

/** Creates a topic with the configured partition count and remembers it for cleanup. */
export async function createBenchTopic(ctx: BenchContext, name: string): Promise<string> {
  const admin = ctx.kafka.admin();
  await admin.connect();
  try {
    await admin.createTopics({ topics: [{ topic: name, numPartitions: ctx.config.kafka.partitions }], waitForLeaders: true });
  } finally {
    await admin.disconnect();
  }
  ctx.topics.push(name);
  return name;
}

async function deleteObjects(ctx: BenchContext, bucket: string, keys: string[]): Promise<void> {
  for (let i = 0; i < keys.length; i += 1000) {
    const chunk = keys.slice(i, i + 1000);
    await ctx.runtime.clients.s3.send(new DeleteObjectsCommand({ Bucket: bucket, Delete: { Objects: chunk.map((Key) => ({ Key })), Quiet: true } }));
  }
}

/**
 * Removes what the run made: raw and processed objects, claim checks, records, topics and
 * consumer groups, then the registered cleanups (queues, subscriptions, API keys). Each step is
 * best effort, so one failure does not leave the rest behind.
 */
export async function cleanUp(ctx: BenchContext): Promise<void> {
  const byBucket = new Map<string, string[]>();
  const add = (bucket: string | undefined, key: string | undefined): void => {
    if (bucket === undefined || key === undefined) return;
    const keys = byBucket.get(bucket) ?? [];
    keys.push(key);
    byBucket.set(bucket, keys);
  };
  for (const arrival of ctx.created.values()) {
    add(arrival.raw?.bucket, arrival.raw?.key);
    for (const p of arrival.processed) add(arrival.processedBucket ?? ctx.config.processedBucket, p.key);
  }
  for (const claim of ctx.claimChecks) add(claim.bucket, claim.key);
  for (const [bucket, keys] of byBucket) await deleteObjects(ctx, bucket, keys).catch((e: Error) => ctx.log(`cleanup: deleting objects in ${bucket} failed: ${e.message}`));

  const ids = [...ctx.created.keys()];
  for (let i = 0; i < ids.length; i += 25) {
    const chunk = ids.slice(i, i + 25);
    await ctx.runtime.clients.documents
      .send(new BatchWriteCommand({ RequestItems: { [ctx.config.table.name]: chunk.map((imageId) => ({ DeleteRequest: { Key: { imageId } } })) } }))
      .catch((e: Error) => ctx.log(`cleanup: deleting records failed: ${e.message}`));
  }

  const admin = ctx.kafka.admin();
  try {
    await admin.connect();
    if (ctx.groups.length > 0) await admin.deleteGroups(ctx.groups).catch((e: Error) => ctx.log(`cleanup: deleting consumer groups failed: ${e.message}`));
    if (ctx.topics.length > 0) await admin.deleteTopics({ topics: ctx.topics }).catch((e: Error) => ctx.log(`cleanup: deleting topics failed: ${e.message}`));
  } catch (error) {
    ctx.log(`cleanup: Kafka admin failed: ${(error as Error).message}`);
  } finally {
    await admin.disconnect().catch(() => undefined);
  }
  for (const cleanup of ctx.cleanups.reverse()) await cleanup().catch((e: Error) => ctx.log(`cleanup failed: ${e.message}`));
}
