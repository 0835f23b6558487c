/**
 * Tracing guarantees on the synthesised stacks (docs/tracing.md): every Lambda has active X-Ray
 * tracing, the Tracer switched on and the permission to send segments; the API stage starts the
 * trace. Synthesised with bundling skipped: these are about resources, not handler code.
 */
import { ENV } from '../../../core/config/env';
import { LAMBDA_ENTRIES } from '../../../cdktf/bundling';
import { XRAY_WRITE_ACTIONS } from '../../../cdktf/constructs/compute';
import type { ImagePipelineStack } from '../../../cdktf/stack';
import { asList, bodyOf, resourcesOf, statementsOf, synthStack, type TerraformJson } from './synth-helpers';

let dev: { stack: ImagePipelineStack; json: TerraformJson };
let prod: { stack: ImagePipelineStack; json: TerraformJson };

beforeAll(() => {
  dev = synthStack('dev', { bundling: { mode: 'skip' } });
  prod = synthStack('prod', { bundling: { mode: 'skip' } });
});

describe.each([
  ['dev', () => dev],
  ['prod', () => prod],
])('%s stack: tracing on', (_name, get) => {
  test('every Lambda function has active X-Ray tracing and POWERTOOLS_TRACE_ENABLED=true', () => {
    const { json } = get();
    const functions = resourcesOf(json, 'aws_lambda_function');
    expect(functions).toHaveLength(Object.keys(LAMBDA_ENTRIES).length);
    for (const [id, fn] of functions) {
      const variables = (fn.environment as { variables?: Record<string, string> } | undefined)?.variables ?? {};
      expect({ id, tracing: fn.tracing_config, enabled: variables[ENV.tracingEnabled] }).toEqual({ id, tracing: { mode: 'Active' }, enabled: 'true' });
    }
  });

  test("every Lambda function's role may put trace segments and telemetry records", () => {
    const { json } = get();
    const functions = resourcesOf(json, 'aws_lambda_function');
    const policies = resourcesOf(json, 'aws_iam_role_policy');
    expect(functions).toHaveLength(Object.keys(LAMBDA_ENTRIES).length);
    for (const [id, fn] of functions) {
      // The function's role ARN and its policy's role id both name the same aws_iam_role.
      const role = String(fn.role).replace(/\.arn\}$/, '');
      const policy = policies.find(([, p]) => String(p.role).replace(/\.id\}$/, '') === role);
      expect({ id, hasPolicy: policy !== undefined }).toEqual({ id, hasPolicy: true });
      const actions = statementsOf(policy?.[1].policy).flatMap((s) => asList(s.Action));
      for (const action of XRAY_WRITE_ACTIONS) expect({ id, action, granted: actions.includes(action) }).toEqual({ id, action, granted: true });
    }
  });

  test('the API Gateway stage has X-Ray tracing enabled', () => {
    const { stack, json } = get();
    expect(resourcesOf(json, 'aws_api_gateway_stage')).toHaveLength(1);
    expect(bodyOf(json, stack.api.stage).xray_tracing_enabled).toBe(true);
  });
});
