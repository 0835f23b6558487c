/**
 * Issue 13: the DynamoDB stand-in keeps what DynamoDB guarantees and the pipeline's exactly-once
 * rests on — a conditional write is atomic per item, so of concurrent `status = RECEIVED`
 * transitions exactly one wins. moto checks the condition and applies the update as separate
 * steps; served on several threads, two could both win (and both workers then held the
 * notification lease and published). local/python/moto_server.py serves the DynamoDB role one
 * request at a time. This test starts its own moto process, as the stack does, on a free port.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CreateTableCommand, DynamoDBClient, PutItemCommand, UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import { loadConfig } from '../../core/config';
import { projectRoot, stackPaths } from '../../local/stack/paths';
import { motoProcess, waitFor, type ManagedProcess } from '../../soak/stack';
import { freePorts } from '../helpers/tcp-ports';

jest.setTimeout(120_000);

let dir: string;
let moto: ManagedProcess;
let client: DynamoDBClient;

beforeAll(async () => {
  const paths = stackPaths(loadConfig());
  dir = mkdtempSync(join(tmpdir(), 'moto-conditional-'));
  const [port] = (await freePorts(1)) as [number];
  moto = motoProcess(dir, { kafkaLib: paths.kafkaLib, motoPython: join(paths.motoVenv, 'bin', 'python'), motoServer: join(projectRoot(), 'local', 'python', 'moto_server.py') }, 'dynamodb', port);
  moto.start();
  client = new DynamoDBClient({ region: 'us-east-1', endpoint: `http://127.0.0.1:${port}`, credentials: { accessKeyId: 'test', secretAccessKey: 'test' }, maxAttempts: 1 });
  await waitFor('the DynamoDB stand-in', () => client.send(new CreateTableCommand({ TableName: 'conditional', KeySchema: [{ AttributeName: 'id', KeyType: 'HASH' }], AttributeDefinitions: [{ AttributeName: 'id', AttributeType: 'S' }], BillingMode: 'PAY_PER_REQUEST' })), 60_000);
});

afterAll(async () => {
  client?.destroy();
  await moto?.stop();
  rmSync(dir, { recursive: true, force: true });
});

it('of 16 concurrent conditional RECEIVED → PROCESSED updates on one item, exactly one wins, in each of 60 rounds', async () => {
  const winners: number[] = [];
  for (let round = 0; round < 60; round++) {
    const id = `image-${round}`;
    await client.send(new PutItemCommand({ TableName: 'conditional', Item: { id: { S: id }, status: { S: 'RECEIVED' } } }));
    const outcomes = await Promise.allSettled(
      Array.from({ length: 16 }, (_, worker) =>
        client.send(
          new UpdateItemCommand({
            TableName: 'conditional',
            Key: { id: { S: id } },
            UpdateExpression: 'SET #status = :processed, #worker = :worker',
            ConditionExpression: '#status = :received',
            ExpressionAttributeNames: { '#status': 'status', '#worker': 'worker' },
            ExpressionAttributeValues: { ':processed': { S: 'PROCESSED' }, ':received': { S: 'RECEIVED' }, ':worker': { N: String(worker) } },
          }),
        ),
      ),
    );
    for (const o of outcomes) if (o.status === 'rejected') expect((o.reason as Error).name).toBe('ConditionalCheckFailedException');
    winners.push(outcomes.filter((o) => o.status === 'fulfilled').length);
  }

  expect(winners).toEqual(Array.from({ length: 60 }, () => 1));
});
