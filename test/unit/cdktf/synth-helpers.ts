import { Testing, TerraformStack, type TerraformElement } from 'cdktn';
import { resolveStackProps, type PipelineStackOverrides } from '../../../cdktf/props';
import { ImagePipelineStack } from '../../../cdktf/stack';

/** The parts of a synthesised stack the tests read. */
export interface TerraformJson {
  resource: Record<string, Record<string, Record<string, unknown>>>;
  data?: Record<string, Record<string, Record<string, unknown>>>;
  output: Record<string, { value: unknown }>;
  terraform: { backend?: Record<string, { path?: string }>; required_providers: Record<string, { version: string }> };
}

/** A parsed IAM policy statement as written by the stack. */
export interface PolicyStatementJson {
  Sid?: string;
  Effect: string;
  Action: string | string[];
  Resource: string | string[];
  Condition?: unknown;
}

/** Synthesises one environment's stack with `Testing.synth` (no assets written) and parses it. */
export function synthStack(environment: string, overrides: PipelineStackOverrides = {}): { stack: ImagePipelineStack; json: TerraformJson } {
  const app = Testing.app();
  const stack = new ImagePipelineStack(app, `image-pipeline-${environment}`, resolveStackProps(environment, overrides));
  return { stack, json: JSON.parse(Testing.synth(stack)) as TerraformJson };
}

/** All resources of one type as [logicalId, body] pairs. */
export function resourcesOf(json: TerraformJson, type: string): [string, Record<string, unknown>][] {
  return Object.entries(json.resource[type] ?? {});
}

/** The body of one resource, by the construct that made it. */
export function bodyOf(json: TerraformJson, element: TerraformElement & { terraformResourceType: string }): Record<string, unknown> {
  const id = TerraformStack.of(element).getLogicalId(element);
  const body = json.resource[element.terraformResourceType]?.[id];
  if (body === undefined) throw new Error(`no ${element.terraformResourceType}.${id} in the synthesised stack`);
  return body;
}

/** The Terraform reference string the synthesised JSON uses for `element.attribute`. */
export function refOf(element: TerraformElement & { terraformResourceType: string }, attribute: string): string {
  return `\${${element.terraformResourceType}.${TerraformStack.of(element).getLogicalId(element)}.${attribute}}`;
}

/** `type.logicalId` addresses referenced anywhere inside a string (policy JSON, env values...). */
export function referencedAddresses(text: string): Set<string> {
  return new Set([...text.matchAll(/\$\{(aws_[a-z0-9_]+\.[A-Za-z0-9_-]+)\./g)].map((m) => m[1] as string));
}

/** `type.logicalId` of a construct. */
export function addressOf(element: TerraformElement & { terraformResourceType: string }): string {
  return `${element.terraformResourceType}.${TerraformStack.of(element).getLogicalId(element)}`;
}

/** Statements of a policy document string. */
export function statementsOf(policy: unknown): PolicyStatementJson[] {
  if (typeof policy !== 'string') throw new Error(`policy is not a JSON string: ${String(policy)}`);
  const doc = JSON.parse(policy) as { Statement: PolicyStatementJson | PolicyStatementJson[] };
  return Array.isArray(doc.Statement) ? doc.Statement : [doc.Statement];
}

/** A value that may be a single item or a list, as a list. */
export function asList<T>(value: T | T[] | undefined): T[] {
  if (value === undefined) return [];
  return Array.isArray(value) ? value : [value];
}
