/**
 * The variant list reaches every Lambda that renders through one prop (`images.variants`), as the
 * same `IMAGE_VARIANTS` value the runtime's `loadConfig` reads back.
 */
import { ENV, loadConfig } from '../../../core/config';
import { ConfigError } from '../../../core/errors';
import type { VariantSpec } from '../../../core/image/variants';
import { INFRA_ENV, overridesFromEnv, resolveStackProps } from '../../../cdktf/props';
import type { ImagePipelineStack } from '../../../cdktf/stack';
import { bodyOf, synthStack, type TerraformJson } from './synth-helpers';

const CUSTOM: VariantSpec[] = [
  { name: 'square', width: 300, height: 300, fit: 'cover', format: 'webp', quality: 70 },
  { name: 'wide', width: 1200, height: 400, fit: 'inside', format: 'jpeg', quality: 85 },
];

let custom: { stack: ImagePipelineStack; json: TerraformJson };
let defaults: { stack: ImagePipelineStack; json: TerraformJson };

beforeAll(() => {
  custom = synthStack('dev', { bundling: { mode: 'skip' }, images: { variants: CUSTOM } });
  defaults = synthStack('dev', { bundling: { mode: 'skip' } });
});

function variablesOf({ stack, json }: { stack: ImagePipelineStack; json: TerraformJson }) {
  const fns = [stack.compute.ingestApi, stack.compute.uploadHandler, stack.compute.streamConsumer, stack.compute.reconciler];
  return fns.map((fn) => (bodyOf(json, fn.fn) as { environment: { variables: Record<string, string> } }).environment.variables);
}

describe('images.variants', () => {
  test('sets IMAGE_VARIANTS on every function that renders, and loadConfig reads back exactly the list', () => {
    const all = variablesOf(custom);
    expect(all).toHaveLength(4);
    for (const variables of all) {
      const value = variables[ENV.imageVariants];
      expect(typeof value).toBe('string');
      const config = loadConfig({ AWS_REGION: 'us-east-1', SNS_TOPIC_ARN: 'arn:aws:sns:us-east-1:111122223333:t', [ENV.imageVariants]: value });
      expect(config.variants).toEqual(CUSTOM);
    }
  });

  test('leaves IMAGE_VARIANTS unset by default, so the runtime uses its defaults', () => {
    const all = variablesOf(defaults);
    expect(all).toHaveLength(4);
    for (const variables of all) expect(variables[ENV.imageVariants]).toBeUndefined();
  });

  test('a bad list fails at synth with the prop name, not at the first image', () => {
    expect(() => resolveStackProps('dev', { images: { variants: [{ ...CUSTOM[0], width: 0 } as VariantSpec] } })).toThrow(/for images\.variants\[0\]\.width but received 0/);
    expect(() => resolveStackProps('dev', { images: { variants: [] } })).toThrow(/for images\.variants but received "an empty list"/);
  });

  test('PIPELINE_IMAGE_VARIANTS (and its per-environment form) set the prop with the runtime parser', () => {
    const json = '[{"name":"thumb","width":100,"height":100,"fit":"cover","format":"jpeg"}]';
    expect(overridesFromEnv('prod', { [INFRA_ENV.imageVariants]: json }).images?.variants).toEqual([{ name: 'thumb', width: 100, height: 100, fit: 'cover', format: 'jpeg', quality: 85 }]);
    expect(overridesFromEnv('prod', { PIPELINE_PROD_IMAGE_VARIANTS: json }).images?.variants).toHaveLength(1);
    expect(() => overridesFromEnv('prod', { [INFRA_ENV.imageVariants]: '[{"name":"thumb"' })).toThrow(ConfigError);
    expect(() => overridesFromEnv('prod', { [INFRA_ENV.imageVariants]: '[{"name":"thumb"' })).toThrow(/^PIPELINE_IMAGE_VARIANTS must be a JSON array/);
  });
});
