import { batchItemFailures, resumeOffsets, type RecordOutcome, type RecordResult } from '../../../stream-consumer';
import { chunkProgress } from '../../../local/stream-runner';
import { DependencyError } from '../../../core/errors';
import { mskEventOf } from '../../helpers/msk-events';

const ingested: RecordOutcome = { kind: 'ingested', imageId: 'i', status: 'PROCESSED', duplicate: false };
const failedImage: RecordOutcome = { kind: 'ingested', imageId: 'i', status: 'FAILED', duplicate: false };
const poison: RecordOutcome = { kind: 'dead-lettered', reason: 'bad-magic', code: 'SCHEMA_DECODE' };
const retry: RecordOutcome = { kind: 'retry', error: new DependencyError('S3', 'down') };
const skipped: RecordOutcome = { kind: 'skipped' };

function result(partition: number, offset: number, outcome: RecordOutcome, topic = 'images'): RecordResult {
  return { position: { topic, partition, offset }, outcome };
}

describe('batchItemFailures', () => {
  it('is empty when every record finished, including FAILED images and dead letters', () => {
    expect(batchItemFailures([result(0, 1, ingested), result(0, 2, failedImage), result(0, 3, poison)])).toEqual({ batchItemFailures: [] });
  });

  it('names, per partition, the lowest offset needing redelivery in the Kafka identifier form', () => {
    const response = batchItemFailures([
      result(0, 10, ingested),
      result(0, 12, skipped),
      result(0, 11, retry),
      result(1, 5, ingested),
      result(1, 6, ingested),
      result(2, 40, retry),
      result(2, 41, retry),
    ]);

    expect(response).toEqual({
      batchItemFailures: [{ itemIdentifier: { partition: 'images-0', offset: 11 } }, { itemIdentifier: { partition: 'images-2', offset: 40 } }],
    });
  });

  it('keeps topics apart', () => {
    const response = batchItemFailures([result(0, 3, retry, 'a'), result(0, 1, retry, 'b')]);

    expect(response.batchItemFailures.map((f) => f.itemIdentifier)).toEqual([
      { partition: 'a-0', offset: 3 },
      { partition: 'b-0', offset: 1 },
    ]);
  });
});

describe('resumeOffsets (how the event source reads the answer)', () => {
  const event = mskEventOf([
    { topic: 'images', partition: 0, offset: 4, value: Buffer.from('a') },
    { topic: 'images', partition: 0, offset: 5, value: Buffer.from('b') },
    { topic: 'images', partition: 1, offset: 9, value: Buffer.from('c') },
  ]);

  it('reads no answer, an empty list and a null list as full success', () => {
    expect(resumeOffsets(event, undefined)).toEqual(new Map());
    expect(resumeOffsets(event, { batchItemFailures: [] })).toEqual(new Map());
    expect(resumeOffsets(event, { batchItemFailures: null })).toEqual(new Map());
  });

  it('takes the lowest reported offset per partition', () => {
    const resume = resumeOffsets(event, { batchItemFailures: [{ itemIdentifier: { partition: 'images-0', offset: 5 } }, { itemIdentifier: { partition: 'images-0', offset: 4 } }] });

    expect(resume).toEqual(new Map([['images-0', 4]]));
  });

  it.each([
    ['a string identifier (the SQS form)', { batchItemFailures: [{ itemIdentifier: 'images-0-4' }] }],
    ['an unknown partition', { batchItemFailures: [{ itemIdentifier: { partition: 'images-7', offset: 4 } }] }],
    ['an offset not in the event', { batchItemFailures: [{ itemIdentifier: { partition: 'images-0', offset: 6 } }] }],
    ['a null identifier', { batchItemFailures: [{ itemIdentifier: null }] }],
  ])('treats %s as a failure of the whole batch', (_name, response) => {
    expect(resumeOffsets(event, response)).toBe('invalid');
  });

  it('round-trips what batchItemFailures produces', () => {
    const response = batchItemFailures([result(0, 4, ingested), result(0, 5, retry), result(1, 9, ingested)]);

    expect(resumeOffsets(event, response)).toEqual(new Map([['images-0', 5]]));
  });
});

describe('chunkProgress (what the local runner commits)', () => {
  it('commits the offset after the last record when the chunk is done', () => {
    expect(chunkProgress(10, 19, undefined)).toEqual({ commit: '20', nextOffset: 20 });
  });

  it('commits up to the first record to redeliver, and continues from it', () => {
    expect(chunkProgress(10, 19, 14)).toEqual({ commit: '14', nextOffset: 14 });
  });

  it('commits nothing when the first record must be redelivered', () => {
    expect(chunkProgress(10, 19, 10)).toEqual({ commit: undefined, nextOffset: 10 });
  });
});
