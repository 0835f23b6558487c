/**
 * One list of what the local bootstrap creates (local/stack/resources.ts): the README's bootstrap
 * paragraph names every entry, docker-compose.yml's init services create every entry they claim
 * to, and the list names what `bootstrapStack` makes (its StackResources fields).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { loadConfig } from '../../../core/config';
import { LOCAL_IMPORT_QUEUE } from '../../../local/stack/bootstrap';
import { localStackResources } from '../../../local/stack/resources';

const root = join(__dirname, '..', '..', '..');
const config = loadConfig({ AWS_ENDPOINT_URL_S3: 'http://127.0.0.1:5000' });
const resources = localStackResources(config);

/** The README paragraph that starts "The bootstrap creates". */
function bootstrapParagraph(): string {
  const readme = readFileSync(join(root, 'README.md'), 'utf8');
  const start = readme.indexOf('The bootstrap creates');
  expect(start).toBeGreaterThan(-1);
  return readme.slice(start, readme.indexOf('\n\n', start));
}

/** Every init service's command, as one text. */
function composeInitText(): string {
  const compose = parse(readFileSync(join(root, 'docker-compose.yml'), 'utf8')) as { services: Record<string, { command?: string | string[] }> };
  return Object.entries(compose.services)
    .filter(([name]) => name.endsWith('-init'))
    .map(([, service]) => [service.command ?? []].flat().join(' '))
    .join('\n');
}

describe('the one list of what the local bootstrap creates', () => {
  it('includes the URL import queue and its DLQ, the Cognito dev user pool and client, and every bucket', () => {
    expect(resources.map((r) => `${r.service} ${r.name}`)).toEqual(
      expect.arrayContaining([
        `SQS ${config.importQueue.name}`,
        `SQS ${config.importQueue.name}-dlq`,
        'Cognito image-pipeline-users',
        'Cognito image-pipeline-clients',
        `S3 ${config.rawBucket}`,
        `S3 ${config.processedBucket}`,
        `S3 ${config.analyticsBucket}`,
      ]),
    );
  });

  it.each(resources.map((r) => [r.service, r.name]))('the README names %s %s', (_service, name) => {
    expect(bootstrapParagraph()).toContain(`\`${name}\``);
  });

  it.each(resources.filter((r) => r.inCompose).map((r) => [r.service, r.name]))('docker-compose.yml creates %s %s in its init services', (_service, name) => {
    expect(composeInitText()).toMatch(new RegExp(`(^|[\\s'"=])${name.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}([\\s'";]|$)`, 'm'));
  });

  it("the import queue's redrive in docker-compose.yml matches the bootstrap's (visibility 60 s, 5 receives)", () => {
    const text = composeInitText();
    expect(text).toContain(`\\"VisibilityTimeout\\":\\"${LOCAL_IMPORT_QUEUE.visibilityTimeoutSeconds}\\"`);
    expect(text).toContain(`\\\\\\"maxReceiveCount\\\\\\":${LOCAL_IMPORT_QUEUE.maxReceiveCount}`);
  });
});
