import { GetQueueUrlCommand, SendMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import type { ImportQueue, UrlImportJob } from '../../ports';
import { asDependencyError } from '../dependency-error';

/** Where {@link SqsImportQueue} sends: the queue's URL when known, else its name (looked up once). */
export type ImportQueueAddress = { url: string } | { name: string };

/**
 * {@link ImportQueue} on SQS: one message per URL import, its body the {@link UrlImportJob} as
 * JSON (well under SQS's 256 KiB: the URL is bounded to 2048 bytes and attributes to 16 KiB),
 * with `imageId` and `customerId` as message attributes for tooling.
 *
 * @example
 * const queue = new SqsImportQueue(clients.sqs, { url: config.importQueue.url });
 * await queue.enqueue({ imageId, customerId: 'acme', url: 'https://images.example.com/cat.jpg' });
 */
export class SqsImportQueue implements ImportQueue {
  private queueUrl: Promise<string> | undefined;

  constructor(
    private readonly sqs: SQSClient,
    private readonly address: ImportQueueAddress,
  ) {}

  /** @throws DependencyError (retriable) or DependencyRejectedError when SQS fails or refuses. */
  async enqueue(job: UrlImportJob): Promise<void> {
    const QueueUrl = await this.resolveUrl();
    try {
      await this.sqs.send(
        new SendMessageCommand({
          QueueUrl,
          MessageBody: JSON.stringify(job),
          MessageAttributes: {
            imageId: { DataType: 'String', StringValue: job.imageId },
            customerId: { DataType: 'String', StringValue: job.customerId },
          },
        }),
      );
    } catch (error) {
      throw asDependencyError('SQS', 'SendMessage', error);
    }
  }

  private resolveUrl(): Promise<string> {
    if ('url' in this.address) return Promise.resolve(this.address.url);
    const name = this.address.name;
    this.queueUrl ??= this.sqs.send(new GetQueueUrlCommand({ QueueName: name })).then(
      (answer) => {
        if (answer.QueueUrl === undefined) throw asDependencyError('SQS', 'GetQueueUrl', new Error(`no URL for queue ${name}`));
        return answer.QueueUrl;
      },
      (error: unknown) => {
        // Not cached: the next call looks it up again.
        this.queueUrl = undefined;
        throw asDependencyError('SQS', 'GetQueueUrl', error);
      },
    );
    return this.queueUrl;
  }
}
