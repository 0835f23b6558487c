import { ENV } from '../../../core/config/env';
import { loadConfig, localStackEnvironment } from '../../../core/config';
import { API_ROUTES, CORS_GATEWAY_RESPONSE_TYPES, PREFLIGHT_PATHS } from '../../../cdktf/constructs/api';
import { INFRA_ENV, overridesFromEnv, resolveStackProps } from '../../../cdktf/props';
import type { ImagePipelineStack } from '../../../cdktf/stack';
import { uploadBucketCorsRules } from '../../../ingest-api';
import { addressOf, asList, bodyOf, refOf, resourcesOf, synthStack, type TerraformJson } from './synth-helpers';

// CORS guarantees of the synthesised stack: preflights reach the Lambda that answers them,
// API Gateway's own errors are readable from an allowed page, and the raw bucket takes
// presigned POSTs from the same origins, with exactly the rule the local bootstrap writes.
const APP = 'https://app.example.com';
const ADMIN = 'https://admin.example.com';

let one: { stack: ImagePipelineStack; json: TerraformJson };
let two: { stack: ImagePipelineStack; json: TerraformJson };
let none: { stack: ImagePipelineStack; json: TerraformJson };

beforeAll(() => {
  one = synthStack('dev', { bundling: { mode: 'skip' }, api: { corsAllowedOrigins: [APP] } });
  two = synthStack('prod', { bundling: { mode: 'skip' }, api: { corsAllowedOrigins: [APP, ADMIN] } });
  none = synthStack('prod', { bundling: { mode: 'skip' } });
});

/** The DEFAULT_4XX / DEFAULT_5XX gateway responses (the 429s of usage plans are tested in usage-plans.test.ts). */
function corsGatewayResponses(json: TerraformJson): [string, Record<string, unknown>][] {
  return resourcesOf(json, 'aws_api_gateway_gateway_response').filter(([, body]) => (CORS_GATEWAY_RESPONSE_TYPES as readonly unknown[]).includes(body.response_type));
}

/** The API Gateway resource path of a resource id reference, rebuilt from path_part and parent_id. */
function pathOf(json: TerraformJson, resourceRef: string): string {
  const resources = json.resource.aws_api_gateway_resource ?? {};
  const parts: string[] = [];
  let ref = resourceRef;
  for (let depth = 0; depth < 10; depth++) {
    const id = /^\$\{aws_api_gateway_resource\.([^.]+)\.id\}$/.exec(ref)?.[1];
    if (id === undefined) break;
    const body = resources[id] as { path_part: string; parent_id: string };
    parts.unshift(body.path_part);
    ref = body.parent_id;
  }
  return `/${parts.join('/')}`;
}

describe('API Gateway CORS', () => {
  test('every /v1 route path has an OPTIONS method without authorization, proxied to the ingest Lambda', () => {
    const { stack, json } = one;
    expect(PREFLIGHT_PATHS).toEqual([...new Set(API_ROUTES.filter((r) => r.path.startsWith('/v1/')).map((r) => r.path))]);
    const options = resourcesOf(json, 'aws_api_gateway_method').filter(([, body]) => body.http_method === 'OPTIONS');
    expect(options.map(([, body]) => pathOf(json, body.resource_id as string)).sort()).toEqual([...PREFLIGHT_PATHS].sort());
    expect(options).toHaveLength(PREFLIGHT_PATHS.length);
    for (const [, method] of options) expect(method.authorization).toBe('NONE');
    const proxied = resourcesOf(json, 'aws_api_gateway_integration').filter(([, body]) => options.some(([id]) => body.http_method === `\${aws_api_gateway_method.${id}.http_method}`));
    expect(proxied).toHaveLength(PREFLIGHT_PATHS.length);
    for (const [, integration] of proxied) {
      expect(integration).toMatchObject({ type: 'AWS_PROXY', integration_http_method: 'POST', uri: refOf(stack.compute.ingestApi.fn, 'invoke_arn') });
    }
  });

  test('the deployment waits for (and is re-triggered by) the OPTIONS integrations and the gateway responses', () => {
    const { stack, json } = one;
    const deployment = resourcesOf(json, 'aws_api_gateway_deployment')[0]?.[1] as { depends_on: string[]; triggers: { redeployment: string } };
    const optionIntegrations = resourcesOf(json, 'aws_api_gateway_integration')
      .filter(([id]) => id.includes('options'))
      .map(([id]) => `aws_api_gateway_integration.${id}`);
    expect(optionIntegrations).toHaveLength(PREFLIGHT_PATHS.length);
    expect(deployment.depends_on).toEqual(expect.arrayContaining([...optionIntegrations, ...stack.api.corsGatewayResponses.map((r) => addressOf(r))]));
    expect(stack.api.corsGatewayResponses).toHaveLength(CORS_GATEWAY_RESPONSE_TYPES.length);
    for (const response of stack.api.corsGatewayResponses) expect(deployment.triggers.redeployment).toContain(addressOf(response));
  });

  test('4XX and 5XX gateway responses carry the one allowed origin and expose Location and Retry-After', () => {
    const { stack, json } = one;
    const responses = corsGatewayResponses(json);
    expect(responses).toHaveLength(CORS_GATEWAY_RESPONSE_TYPES.length);
    expect(responses.map(([, body]) => body.response_type).sort()).toEqual([...CORS_GATEWAY_RESPONSE_TYPES]);
    for (const [, body] of responses) {
      expect(body.rest_api_id).toBe(refOf(stack.api.restApi, 'id'));
      const parameters = body.response_parameters as Record<string, string>;
      expect(parameters['gatewayresponse.header.Access-Control-Allow-Origin']).toBe(`'${APP}'`);
      expect(parameters['gatewayresponse.header.Access-Control-Expose-Headers']).toMatch(/^'.*Location.*'$/);
      expect(parameters['gatewayresponse.header.Access-Control-Expose-Headers']).toContain('Retry-After');
      expect(parameters['gatewayresponse.header.Vary']).toBe("'Origin'");
      expect(parameters['gatewayresponse.header.Access-Control-Allow-Credentials']).toBeUndefined();
    }
  });

  test('with several origins the gateway responses answer the request Origin, never *', () => {
    const responses = corsGatewayResponses(two.json);
    expect(responses).toHaveLength(CORS_GATEWAY_RESPONSE_TYPES.length);
    for (const [, body] of responses) {
      expect((body.response_parameters as Record<string, string>)['gatewayresponse.header.Access-Control-Allow-Origin']).toBe('method.request.header.Origin');
    }
  });

  test('the ingest Lambda gets the same origins, so its preflight answers match the gateway and the bucket', () => {
    const env = (bodyOf(two.json, two.stack.compute.ingestApi.fn).environment as { variables: Record<string, string> }).variables;
    expect(env[ENV.corsAllowedOrigins]).toBe(`${APP},${ADMIN}`);
    expect(loadConfig({ ...env, [ENV.snsTopicArn]: 'arn:aws:sns:us-east-1:123456789012:t' }).cors.allowedOrigins).toEqual([APP, ADMIN]);
  });

  test('no origins configured: no gateway CORS headers, no bucket rule, no origin in the Lambda environment', () => {
    expect(corsGatewayResponses(none.json)).toEqual([]);
    for (const [, body] of resourcesOf(none.json, 'aws_api_gateway_gateway_response')) {
      expect(Object.keys(body.response_parameters as Record<string, string>).filter((name) => name.includes('Access-Control'))).toEqual([]);
    }
    expect(resourcesOf(none.json, 'aws_s3_bucket_cors_configuration')).toEqual([]);
    const env = (bodyOf(none.json, none.stack.compute.ingestApi.fn).environment as { variables: Record<string, string> }).variables;
    expect(env[ENV.corsAllowedOrigins]).toBeUndefined();
  });
});

describe('upload bucket CORS', () => {
  test('only the raw bucket has a CORS rule: POST from the configured origins, after the bucket policy', () => {
    const { stack, json } = two;
    const rules = resourcesOf(json, 'aws_s3_bucket_cors_configuration');
    expect(rules).toHaveLength(1);
    const [, body] = rules[0] as [string, Record<string, unknown>];
    expect(body.bucket).toBe(refOf(stack.storage.raw.bucket, 'id'));
    expect(asList(body.cors_rule as Record<string, unknown>[])).toEqual([
      { allowed_methods: ['POST'], allowed_origins: [APP, ADMIN], allowed_headers: ['*'], expose_headers: ['ETag'], max_age_seconds: 3000 },
    ]);
    expect(body.depends_on).toContain(addressOf(stack.storage.raw.policy));
  });

  test('matches, field for field, the rule the local bootstrap puts on the local raw bucket for the same origins', () => {
    const local = loadConfig({ ...localStackEnvironment({}), [ENV.corsAllowedOrigins]: `${APP},${ADMIN}` });
    const bootstrapRules = uploadBucketCorsRules(local.cors);
    const synthesised = asList(resourcesOf(two.json, 'aws_s3_bucket_cors_configuration')[0]?.[1].cors_rule as Record<string, unknown>[]);
    expect(
      bootstrapRules.map((r) => ({ allowed_methods: r.AllowedMethods, allowed_origins: r.AllowedOrigins, allowed_headers: r.AllowedHeaders, expose_headers: r.ExposeHeaders, max_age_seconds: r.MaxAgeSeconds })),
    ).toEqual(synthesised);
  });
});

describe('CORS props', () => {
  test('"*" with credentials is refused at synth, in prod as anywhere', () => {
    expect(() => resolveStackProps('prod', { api: { corsAllowedOrigins: ['*'], corsAllowCredentials: true } })).toThrow(/cannot be "\*" when CORS_ALLOW_CREDENTIALS is true/);
    expect(resolveStackProps('prod', { api: { corsAllowedOrigins: ['*'] } }).api.corsAllowedOrigins).toEqual(['*']);
  });

  test('an origin with a path or a trailing slash is refused, naming the prop', () => {
    expect(() => resolveStackProps('dev', { api: { corsAllowedOrigins: [`${APP}/`] } })).toThrow(/api\.corsAllowedOrigins must list origins like/);
    expect(() => resolveStackProps('dev', { api: { corsAllowedOrigins: [`${APP}/upload`] } })).toThrow(/api\.corsAllowedOrigins/);
  });

  test('PIPELINE_CORS_ALLOWED_ORIGINS (and its per-environment form) set the origins', () => {
    expect(INFRA_ENV.corsAllowedOrigins).toBe(`PIPELINE_${ENV.corsAllowedOrigins}`);
    const env = { PIPELINE_CORS_ALLOWED_ORIGINS: `${APP}, ${ADMIN}`, PIPELINE_PROD_CORS_ALLOWED_ORIGINS: APP };
    expect(resolveStackProps('dev', overridesFromEnv('dev', env)).api.corsAllowedOrigins).toEqual([APP, ADMIN]);
    expect(resolveStackProps('prod', overridesFromEnv('prod', env)).api.corsAllowedOrigins).toEqual([APP]);
  });
});
