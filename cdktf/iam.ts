import { invalidParameterError } from '../core/errors';

/** One Allow statement of an IAM policy. Actions are always named; resources are exact ARNs or ARN patterns. */
export interface AllowStatement {
  sid: string;
  actions: string[];
  resources: string[];
  conditions?: Record<string, Record<string, string | string[]>>;
}

/** A service principal's trust policy, e.g. `assumeRolePolicy('lambda.amazonaws.com')`. */
export function assumeRolePolicy(service: string, conditions?: AllowStatement['conditions']): string {
  return JSON.stringify({
    Version: '2012-10-17',
    Statement: [
      {
        Effect: 'Allow',
        Principal: { Service: service },
        Action: 'sts:AssumeRole',
        ...(conditions ? { Condition: conditions } : {}),
      },
    ],
  });
}

/**
 * Serialises Allow statements into a policy document. Token references (bucket ARNs etc.)
 * survive as Terraform interpolations inside the JSON string.
 *
 * @throws InvalidParameterError when a statement uses a wildcard action (`*` or `service:*`):
 *   every permission in this stack is named.
 * @example
 * policyDocument([{ sid: 'ReadRaw', actions: ['s3:GetObject'], resources: [`${bucket.arn}/raw/*`] }]);
 */
export function policyDocument(statements: AllowStatement[]): string {
  for (const s of statements) {
    for (const action of s.actions) {
      if (action === '*' || action.endsWith(':*')) {
        throw invalidParameterError(`${s.sid}.actions`, 'named actions (no wildcards)', action);
      }
    }
    if (s.resources.length === 0) throw invalidParameterError(`${s.sid}.resources`, 'at least one resource', s.resources);
  }
  return JSON.stringify({
    Version: '2012-10-17',
    Statement: statements.map((s) => ({
      Sid: s.sid,
      Effect: 'Allow',
      Action: s.actions,
      Resource: s.resources,
      ...(s.conditions ? { Condition: s.conditions } : {}),
    })),
  });
}
