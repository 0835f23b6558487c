/**
 * Observing the pipeline from the outside: a private SQS queue subscribed to the pipeline's
 * SNS topic with a filter on the benchmark's customer id, stamping each notification with the
 * moment it was received. Completion and latency are measured here, never from the consumer's
 * own log.
 */
import { DeleteMessageBatchCommand, ReceiveMessageCommand } from '@aws-sdk/client-sqs';
import type { AwsClients, Config } from '../core';
import { subscribeCustomerQueue } from '../test/helpers/notifications';

/** One notification as received. */
export interface Arrival {
  imageId: string;
  status: string;
  type: string;
  /** `performance.now()` when the receive call returned it. */
  at: number;
  raw?: { bucket: string; key: string };
  processed: { key: string }[];
  processedBucket?: string;
  /** The error code of an `image.failed` notification. */
  errorCode?: string;
}

/** A queue receiving one customer's notifications, with receivers running in the background. */
export interface NotificationInbox {
  /** First arrival per image id (SQS may deliver a message twice). */
  readonly arrivals: Map<string, Arrival>;
  /** Resolves when every id in `ids` arrived, or with the missing ids after `timeoutMs`. */
  waitFor(ids: readonly string[], timeoutMs: number): Promise<{ missing: string[] }>;
  /** Stops the receivers, removes the subscription and deletes the queue. */
  close(): Promise<void>;
}

interface Envelope {
  Message?: string;
}

/**
 * Creates the queue, subscribes it with `{ customerId: [customerId] }` and starts `receivers`
 * long-polling loops (several, so one receive round trip does not delay the next arrival).
 *
 * @default receivers 3
 */
export async function openInbox(clients: AwsClients, config: Config, customerId: string, receivers = 3): Promise<NotificationInbox> {
  const queue = await subscribeCustomerQueue(clients, config, customerId, 'bench-inbox');
  const { queueUrl } = queue;
  const arrivals = new Map<string, Arrival>();
  const deletes = new Set<Promise<unknown>>();
  let running = true;

  const receiveLoop = async (): Promise<void> => {
    while (running) {
      let messages;
      try {
        messages = (await clients.sqs.send(new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 1 }))).Messages ?? [];
      } catch {
        if (running) await new Promise((resolve) => setTimeout(resolve, 200));
        continue;
      }
      const at = performance.now();
      for (const message of messages) {
        const body = JSON.parse((JSON.parse(message.Body ?? '{}') as Envelope).Message ?? '{}') as {
          imageId: string;
          status: string;
          type: string;
          raw?: { bucket: string; key: string };
          processed?: Record<string, { key: string }>;
          processedBucket?: string;
          error?: { code?: string };
        };
        if (!arrivals.has(body.imageId)) {
          arrivals.set(body.imageId, {
            imageId: body.imageId,
            status: body.status,
            type: body.type,
            at,
            raw: body.raw,
            processed: Object.values(body.processed ?? {}),
            processedBucket: body.processedBucket,
            errorCode: body.error?.code,
          });
        }
      }
      if (messages.length > 0) {
        // Not awaited: the next receive should not wait for the delete's round trip.
        const done = clients.sqs
          .send(new DeleteMessageBatchCommand({ QueueUrl: queueUrl, Entries: messages.map((m, i) => ({ Id: String(i), ReceiptHandle: m.ReceiptHandle })) }))
          .catch(() => undefined);
        deletes.add(done);
        void done.finally(() => deletes.delete(done));
      }
    }
  };
  const loops = Array.from({ length: receivers }, receiveLoop);

  return {
    arrivals,
    async waitFor(ids, timeoutMs) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const missing = ids.filter((id) => !arrivals.has(id));
        if (missing.length === 0 || Date.now() > deadline) return { missing };
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    },
    async close() {
      running = false;
      await Promise.all(loops);
      await Promise.all(deletes);
      await queue.remove();
    },
  };
}
