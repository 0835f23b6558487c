/**
 * Sign-in guarantees on the synthesised stacks (docs/authentication.md): one Lambda REQUEST
 * authorizer, cached on the Authorization header, on every /v1 method (not on CORS preflights or
 * /healthz); the Cognito user pool with the immutable customer attribute and its app client, both
 * named in the authorizer's environment; only the authorizer reads the API-key secret; refusals
 * answer problem+json. Synthesised with bundling skipped: these are about resources.
 */
import { ENV } from '../../../core/config/env';
import { AUTHORIZER_IDENTITY_SOURCE } from '../../../cdktf/constructs/auth';
import { API_ROUTES, PREFLIGHT_PATHS } from '../../../cdktf/constructs/api';
import type { ImagePipelineStack } from '../../../cdktf/stack';
import { asList, bodyOf, refOf, resourcesOf, statementsOf, synthStack, type TerraformJson } from './synth-helpers';

let dev: { stack: ImagePipelineStack; json: TerraformJson };
let prod: { stack: ImagePipelineStack; json: TerraformJson };

beforeAll(() => {
  dev = synthStack('dev', { bundling: { mode: 'skip' } });
  prod = synthStack('prod', { bundling: { mode: 'skip' }, api: { authorizerResultTtlSeconds: 120 } });
});

/** The full path of each aws_api_gateway_method, rebuilt from its resource chain. */
function methodsByRoute(json: TerraformJson): Map<string, Record<string, unknown>> {
  const resources = Object.fromEntries(resourcesOf(json, 'aws_api_gateway_resource'));
  const pathOf = (ref: string): string => {
    const id = /aws_api_gateway_resource\.([^.]+)\.id/.exec(ref)?.[1];
    if (id === undefined) return '';
    const resource = resources[id] as { parent_id: string; path_part: string };
    return `${pathOf(resource.parent_id)}/${resource.path_part}`;
  };
  return new Map(resourcesOf(json, 'aws_api_gateway_method').map(([, m]) => [`${String(m.http_method)} ${pathOf(String(m.resource_id))}`, m]));
}

describe.each([
  ['dev', () => dev, 300],
  ['prod', () => prod, 120],
])('%s stack: sign-in tokens beside API keys', (_name, get, ttl) => {
  test('one REQUEST authorizer, identity source the Authorization header, results cached for the TTL prop', () => {
    const { stack, json } = get();
    expect(resourcesOf(json, 'aws_api_gateway_authorizer')).toHaveLength(1);
    expect(bodyOf(json, stack.api.gatewayAuthorizer.authorizer)).toMatchObject({
      type: 'REQUEST',
      identity_source: AUTHORIZER_IDENTITY_SOURCE,
      authorizer_result_ttl_in_seconds: ttl,
      authorizer_uri: refOf(stack.compute.authorizer.fn, 'invoke_arn'),
    });
    expect(ttl).toBeGreaterThan(0);
  });

  test('every /v1 method is CUSTOM with that authorizer; preflights and /healthz have none', () => {
    const { stack, json } = get();
    const methods = methodsByRoute(json);
    const authorizerId = refOf(stack.api.gatewayAuthorizer.authorizer, 'id');
    const v1 = API_ROUTES.filter((r) => r.path.startsWith('/v1/'));
    expect(v1.length).toBeGreaterThanOrEqual(4);
    for (const route of v1) {
      const method = methods.get(`${route.method} ${route.path}`);
      expect({ route, authorization: method?.authorization, authorizer: method?.authorizer_id }).toEqual({ route, authorization: 'CUSTOM', authorizer: authorizerId });
    }
    for (const path of PREFLIGHT_PATHS) expect(methods.get(`OPTIONS ${path}`)?.authorization).toBe('NONE');
    expect(methods.get('GET /healthz')?.authorization).toBe('NONE');
  });

  test('API Gateway may invoke the authorizer, from this API\'s authorizers only', () => {
    const { stack, json } = get();
    const permissions = resourcesOf(json, 'aws_lambda_permission').map(([, p]) => p);
    const fn = refOf(stack.compute.authorizer.fn, 'function_name');
    const forAuthorizer = permissions.filter((p) => p.function_name === fn);
    expect(forAuthorizer).toHaveLength(1);
    expect(forAuthorizer[0]).toMatchObject({ principal: 'apigateway.amazonaws.com', source_arn: `${refOf(stack.api.restApi, 'execution_arn')}/authorizers/${refOf(stack.api.gatewayAuthorizer.authorizer, 'id')}` });
  });

  test('the user pool has the immutable customer_id attribute; the app client has no secret and cannot write it', () => {
    const { stack, json } = get();
    expect(resourcesOf(json, 'aws_cognito_user_pool')).toHaveLength(1);
    const pool = bodyOf(json, stack.signIn.userPool) as { schema: Record<string, unknown>[]; admin_create_user_config: { allow_admin_create_user_only: boolean } };
    expect(pool.schema).toEqual([expect.objectContaining({ name: 'customer_id', attribute_data_type: 'String', mutable: false })]);
    expect(pool.admin_create_user_config.allow_admin_create_user_only).toBe(true);
    expect(resourcesOf(json, 'aws_cognito_user_pool_client')).toHaveLength(1);
    const client = bodyOf(json, stack.signIn.client) as Record<string, unknown>;
    expect(client.user_pool_id).toBe(refOf(stack.signIn.userPool, 'id'));
    expect(client.generate_secret).toBe(false);
    expect(client.read_attributes).toContain('custom:customer_id');
    expect(client.write_attributes).not.toContain('custom:customer_id');
  });

  test("the authorizer Lambda's environment names the pool, the app client, the key secret and the cache TTL", () => {
    const { stack, json } = get();
    const variables = (bodyOf(json, stack.compute.authorizer.fn).environment as { variables: Record<string, string> }).variables;
    expect(variables).toMatchObject({
      [ENV.cognitoUserPoolId]: refOf(stack.signIn.userPool, 'id'),
      [ENV.cognitoUserPoolClientId]: refOf(stack.signIn.client, 'id'),
      [ENV.apiKeySecretId]: refOf(stack.security.apiKeySecret, 'arn'),
      [ENV.authorizerCacheTtlSeconds]: String(ttl),
    });
  });

  test('only the authorizer may read the API-key secret; the ingest Lambda no longer does', () => {
    const { stack, json } = get();
    const secret = refOf(stack.security.apiKeySecret, 'arn');
    const readers = resourcesOf(json, 'aws_iam_role_policy')
      .filter(([, p]) => statementsOf(p.policy).some((s) => asList(s.Action).includes('secretsmanager:GetSecretValue') && asList(s.Resource).includes(secret)))
      .map(([, p]) => String(p.role));
    expect(readers).toEqual([refOf(stack.compute.authorizer.role, 'id')]);
    const ingestVariables = (bodyOf(json, stack.compute.ingestApi.fn).environment as { variables: Record<string, string> }).variables;
    expect(ingestVariables[ENV.apiKeySecretId]).toBeUndefined();
  });

  test('UNAUTHORIZED and ACCESS_DENIED answer problem+json', () => {
    const { stack, json } = get();
    const responses = stack.api.gatewayAuthorizer.gatewayResponses.map((r) => bodyOf(json, r));
    expect(responses.map((r) => r.response_type).sort()).toEqual(['ACCESS_DENIED', 'UNAUTHORIZED']);
    for (const response of responses) {
      expect((response.response_parameters as Record<string, string>)['gatewayresponse.header.Content-Type']).toBe("'application/problem+json'");
      const template = (response.response_templates as Record<string, string>)['application/json'] ?? '';
      const problem = JSON.parse(template) as { status: number; code: string; type: string };
      expect(problem.status).toBe(Number(response.status_code));
      expect(problem.type).toBe(`urn:image-pipeline:error:${problem.code.toLowerCase()}`);
    }
  });
});

test('with CORS origins configured, the 401/403 gateway responses carry the same CORS headers as the others', () => {
  const { stack, json } = synthStack('dev', { bundling: { mode: 'skip' }, api: { corsAllowedOrigins: ['https://app.example.com'] } });
  const cors = bodyOf(json, stack.api.corsGatewayResponses[0] as never).response_parameters as Record<string, string>;
  expect(Object.keys(cors).length).toBeGreaterThan(0);
  for (const response of stack.api.gatewayAuthorizer.gatewayResponses) {
    expect(bodyOf(json, response).response_parameters).toMatchObject(cors);
  }
});
