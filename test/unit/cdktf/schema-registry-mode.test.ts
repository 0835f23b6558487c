/**
 * The event source mapping's schema-registry switch: off by default (the function decodes every
 * framing and reads Glue writer schemas itself), on with a Glue registry ARN (the mapping
 * validates against it and hands JSON), and refused with anything that is not a registry ARN.
 */
import { InvalidParameterError } from '../../../core/errors';
import { resolveStackProps } from '../../../cdktf/props';
import { bodyOf, statementsOf, resourcesOf, refOf, asList, synthStack } from './synth-helpers';

const REGISTRY_ARN = 'arn:aws:glue:eu-west-1:123456789012:registry/image-pipeline';

describe('schema decoding on the MSK event source mapping', () => {
  it('by default has no schema registry config, and the consumer role may read Glue schema versions', () => {
    const { stack, json } = synthStack('dev');
    const esm = bodyOf(json, stack.compute.eventSourceMapping);
    expect(esm.amazon_managed_kafka_event_source_config).toEqual({ consumer_group_id: expect.any(String) });
    const policy = resourcesOf(json, 'aws_iam_role_policy').find(([, p]) => p.role === refOf(stack.compute.streamConsumer.role, 'id'));
    const glue = statementsOf(policy?.[1].policy).find((s) => s.Sid === 'ReadGlueSchemas');
    expect(asList(glue?.Action).sort()).toEqual(['glue:GetRegistry', 'glue:GetSchemaVersion']);
  });

  it('in registry mode validates values against the Glue registry and delivers JSON', () => {
    const { stack, json } = synthStack('dev', { stream: { schemaDecoding: { mode: 'event-source-mapping', glueRegistryArn: REGISTRY_ARN } } });
    const esm = bodyOf(json, stack.compute.eventSourceMapping);
    expect(esm.amazon_managed_kafka_event_source_config).toEqual({
      consumer_group_id: expect.any(String),
      schema_registry_config: { schema_registry_uri: REGISTRY_ARN, event_record_format: 'JSON', schema_validation_config: [{ attribute: 'VALUE' }] },
    });
    // Registry mode needs provisioned pollers, which the mapping always has.
    expect(esm.provisioned_poller_config).toEqual(expect.objectContaining({ minimum_pollers: expect.any(Number) }));
  });

  it('refuses a registry ARN that is not one', () => {
    expect(() => resolveStackProps('dev', { stream: { schemaDecoding: { mode: 'event-source-mapping', glueRegistryArn: 'https://registry.example/apis/ccompat/v7' } } })).toThrow(InvalidParameterError);
  });
});
