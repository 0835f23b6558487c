/**
 * The watermark reaches every Lambda that renders through one prop (`images.watermark`), as the
 * same `WATERMARK` / `WATERMARK_CUSTOMERS` values the runtime's `loadConfig` reads back; an
 * S3-held mark is readable by those roles and nothing more.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ENV, loadConfig } from '../../../core/config';
import { ConfigError } from '../../../core/errors';
import { watermarkFor } from '../../../core/image/watermark-settings';
import { INFRA_ENV, overridesFromEnv, resolveStackProps } from '../../../cdktf/props';
import type { ImagePipelineStack } from '../../../cdktf/stack';
import { asList, refOf, resourcesOf, statementsOf, bodyOf, synthStack, type TerraformJson } from './synth-helpers';

// Stands for the font a layer mounts under /opt: loadConfig checks that it exists where it runs.
const fontDir = mkdtempSync(join(tmpdir(), 'watermark-font-'));
const FONT_FILE = join(fontDir, 'DejaVuSans-Bold.ttf');
writeFileSync(FONT_FILE, 'not read at synth or config time');
afterAll(() => rmSync(fontDir, { recursive: true, force: true }));

const WATERMARK = {
  deployment: { variants: ['medium', 'large'], image: 's3://brand-assets-dev/marks/logo.png', position: 'southeast', margin: 12, opacity: 0.4, widthRatio: 0.2 },
  customers: { 'cust-plain': null, 'cust-text': { text: '© Cust', fontFile: FONT_FILE, variants: ['medium'] } },
};

let marked: { stack: ImagePipelineStack; json: TerraformJson };
let plain: { stack: ImagePipelineStack; json: TerraformJson };

beforeAll(() => {
  marked = synthStack('dev', { bundling: { mode: 'skip' }, images: { variants: undefined, watermark: WATERMARK } });
  plain = synthStack('dev', { bundling: { mode: 'skip' } });
});

function renderers({ stack }: { stack: ImagePipelineStack }) {
  return [stack.compute.ingestApi, stack.compute.uploadHandler, stack.compute.streamConsumer, stack.compute.reconciler, stack.urlImport.worker];
}

function variablesOf(bed: { stack: ImagePipelineStack; json: TerraformJson }) {
  return renderers(bed).map((fn) => (bodyOf(bed.json, fn.fn) as { environment: { variables: Record<string, string> } }).environment.variables);
}

/** Every statement granting `action` on a resource that mentions `needle`, across all role policies. */
function grants(json: TerraformJson, action: string, needle: string): { role: unknown; resources: string[] }[] {
  return resourcesOf(json, 'aws_iam_role_policy').flatMap(([, body]) =>
    statementsOf(body.policy)
      .filter((s) => asList(s.Action).includes(action) && asList(s.Resource).some((r) => r.includes(needle)))
      .map((s) => ({ role: body.role, resources: asList(s.Resource) })),
  );
}

describe('images.watermark', () => {
  test('sets WATERMARK and WATERMARK_CUSTOMERS on every rendering function, and loadConfig reads them back', () => {
    const all = variablesOf(marked);
    expect(all).toHaveLength(5);
    for (const variables of all) {
      const config = loadConfig({ AWS_REGION: 'us-east-1', SNS_TOPIC_ARN: 'arn:aws:sns:us-east-1:111122223333:t', [ENV.watermark]: variables[ENV.watermark], [ENV.watermarkCustomers]: variables[ENV.watermarkCustomers] });
      expect(config.watermark.default).toMatchObject({ variants: ['medium', 'large'], position: 'southeast', margin: 12, opacity: 0.4, widthRatio: 0.2, mark: { kind: 'image', source: { kind: 's3', bucket: 'brand-assets-dev', key: 'marks/logo.png' } } });
      expect(watermarkFor(config.watermark, 'cust-plain')).toBeUndefined();
      expect(watermarkFor(config.watermark, 'cust-text')?.mark).toMatchObject({ kind: 'text', text: '© Cust' });
    }
  });

  test('lets each rendering role read exactly the watermark object, and no other role', () => {
    const found = grants(marked.json, 's3:GetObject', 'brand-assets-dev');
    expect(found.map((g) => g.resources)).toEqual(Array(renderers(marked).length).fill(['arn:${data.aws_partition.partition.partition}:s3:::brand-assets-dev/marks/logo.png']));
    expect(new Set(found.map((g) => g.role))).toEqual(new Set(renderers(marked).map((fn) => refOf(fn.role, 'id'))));
  });

  test('is off by default: no variables, no grant', () => {
    for (const variables of variablesOf(plain)) {
      expect(variables[ENV.watermark]).toBeUndefined();
      expect(variables[ENV.watermarkCustomers]).toBeUndefined();
    }
    expect(grants(plain.json, 's3:GetObject', 'brand-assets')).toEqual([]);
  });

  test('bad settings fail at synth with the prop name and member', () => {
    const props = (watermark: object) => resolveStackProps('dev', { images: { variants: undefined, watermark } });
    expect(() => props({ deployment: { variants: ['medium'], text: 'x' } })).toThrow(/^images\.watermark has a text mark without "fontFile": Lambda has no system fonts/);
    expect(() => props({ deployment: { variants: ['huge'], text: 'x' } })).toThrow(/^images\.watermark\.deployment\.variants\[0\] must name a configured variant/);
    expect(() => props({ customers: { acme: { variants: ['medium'], text: 'x', opacity: 3 } } })).toThrow(/^images\.watermark\.customers\["acme"\]\.opacity must be a number from 0 to 1/);
    expect(() => props({ deployment: { variants: ['medium'], image: '/etc/logo.png' } })).toThrow(ConfigError);
    expect(() => props({ deployment: { variants: ['medium'], text: 'x'.repeat(150), fontFile: '/opt/f.ttf' }, customers: Object.fromEntries(Array.from({ length: 30 }, (_, i) => [`c${i}`, { text: 'y'.repeat(100), fontFile: '/opt/f.ttf' }])) })).toThrow(/takes \d+ characters of Lambda environment; the limit here is 2048/);
  });

  test('PIPELINE_WATERMARK and PIPELINE_WATERMARK_CUSTOMERS set the prop', () => {
    const overrides = overridesFromEnv('prod', { [INFRA_ENV.watermark]: '{"variants":["medium"],"text":"© Prod","fontFile":"/opt/f.ttf"}', PIPELINE_PROD_WATERMARK_CUSTOMERS: '{"acme":null}' });
    expect(overrides.images?.watermark).toEqual({ deployment: { variants: ['medium'], text: '© Prod', fontFile: '/opt/f.ttf' }, customers: { acme: null } });
    expect(() => overridesFromEnv('prod', { [INFRA_ENV.watermark]: '{' })).toThrow(/^PIPELINE_WATERMARK must be a JSON object, but it is not valid JSON/);
  });
});
