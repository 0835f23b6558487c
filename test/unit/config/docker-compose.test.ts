import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { DEFAULT_NAMES, DEFAULT_PORTS, loadConfig } from '../../../core/config';
import { IMAGE_TABLE } from '../../../core/adapters/dynamodb/table';

interface ComposeService {
  image: string;
  ports?: string[];
  command?: string[] | string;
  environment?: Record<string, string | number>;
}

const compose = parse(readFileSync(join(__dirname, '..', '..', '..', 'docker-compose.yml'), 'utf8')) as { services: Record<string, ComposeService> };
const service = (name: string): ComposeService => {
  const found = compose.services[name];
  if (!found) throw new Error(`docker-compose.yml has no service "${name}"`);
  return found;
};
const commandText = (name: string): string => [service(name).command ?? []].flat().join(' ');

describe('docker-compose.yml describes the same stack as the config module', () => {
  const config = loadConfig({ AWS_ENDPOINT_URL_S3: 'http://127.0.0.1:5000' });

  it.each([
    ['kafka', DEFAULT_PORTS.kafka],
    ['dynamodb', DEFAULT_PORTS.dynamoDb],
    ['moto', DEFAULT_PORTS.moto],
  ])('%s publishes port %i on 127.0.0.1 only', (name, port) => {
    expect(service(name).ports).toEqual([`127.0.0.1:${port}:${port}`]);
  });

  it('runs Kafka 4.1 in KRaft mode advertising the configured broker address', () => {
    expect(service('kafka').image).toMatch(/^apache\/kafka:4\.1\./);
    expect(service('kafka').environment).toMatchObject({ KAFKA_PROCESS_ROLES: 'broker,controller', KAFKA_ADVERTISED_LISTENERS: `PLAINTEXT://${config.kafka.brokers[0]}` });
  });

  it('creates the image topic with the configured partitions and the dead-letter topic', () => {
    const text = commandText('kafka-init');
    expect(text).toContain(`--topic ${DEFAULT_NAMES.imageTopic} --partitions ${config.kafka.partitions}`);
    expect(text).toContain(`--topic ${DEFAULT_NAMES.deadLetterTopic} --partitions 1`);
    expect(text).toContain(`max.message.bytes=${config.kafka.maxMessageBytes}`);
  });

  it('creates the table with the same key, indexes and TTL attribute', () => {
    const text = commandText('dynamodb-init');
    expect(text).toContain(`--table-name ${DEFAULT_NAMES.imagesTable} `);
    expect(text).toContain(`AttributeName=${IMAGE_TABLE.partitionKey},KeyType=HASH`);
    for (const index of [IMAGE_TABLE.customerIndex, IMAGE_TABLE.statusIndex]) {
      expect(text).toContain(`IndexName=${index.name},KeySchema=[{AttributeName=${index.partitionKey},KeyType=HASH},{AttributeName=${index.sortKey},KeyType=RANGE}]`);
    }
    expect(text).toContain(`AttributeName=${IMAGE_TABLE.ttlAttribute}`);
  });

  it('serves DynamoDB and the other AWS stand-ins from moto images matching the dockerless versions', () => {
    const pom = readFileSync(join(__dirname, '..', '..', '..', 'local', 'java', 'pom.xml'), 'utf8');
    const requirements = readFileSync(join(__dirname, '..', '..', '..', 'local', 'python', 'requirements.txt'), 'utf8');
    const moto = `motoserver/moto:${/moto\[server\]==(.+)/.exec(requirements)?.[1]?.trim()}`;
    expect(service('dynamodb').image).toBe(moto);
    expect(commandText('dynamodb')).toContain(`-p ${DEFAULT_PORTS.dynamoDb}`);
    expect(service('kafka').image).toBe(`apache/kafka:${/<kafka.version>(.+)</.exec(pom)?.[1]}`);
    expect(service('moto').image).toBe(moto);
    expect(readFileSync(join(__dirname, '..', '..', '..', 'docker-compose.yml'), 'utf8')).not.toMatch(/dynamodb-local/i);
  });
});
