import { Construct } from 'constructs';
import { ApiGatewayAuthorizer } from '@cdktn/provider-aws/lib/api-gateway-authorizer';
import { ApiGatewayGatewayResponse } from '@cdktn/provider-aws/lib/api-gateway-gateway-response';
import type { ApiGatewayRestApi } from '@cdktn/provider-aws/lib/api-gateway-rest-api';
import { CognitoUserPool } from '@cdktn/provider-aws/lib/cognito-user-pool';
import { CognitoUserPoolClient } from '@cdktn/provider-aws/lib/cognito-user-pool-client';
import type { LambdaFunction } from '@cdktn/provider-aws/lib/lambda-function';
import { LambdaPermission } from '@cdktn/provider-aws/lib/lambda-permission';
import { CUSTOMER_ID_ATTRIBUTE } from '../../core/adapters/cognito/user-pool';
import { ERROR_CODES, type ErrorCode } from '../../core/errors';
import { HTTP_PROBLEMS, problemType } from '../../ingest-api/problem';
import type { StackContext } from './context';

/** The authorizer's identity source: the one credential header (docs/authentication.md). */
export const AUTHORIZER_IDENTITY_SOURCE = 'method.request.header.Authorization' as const;

/**
 * The Cognito user pool whose ID tokens the API accepts beside API keys, and its app client.
 * The customer is the immutable custom attribute `customer_id` (the `custom:customer_id` claim):
 * operators set it when they create a user (no self sign-up), and the app client may read it but
 * not write it, so a user cannot move to another customer.
 */
export class SignIn extends Construct {
  readonly userPool: CognitoUserPool;
  readonly client: CognitoUserPoolClient;

  constructor(scope: Construct, id: string, ctx: StackContext) {
    super(scope, id);
    const { props } = ctx;
    this.userPool = new CognitoUserPool(this, 'user-pool', {
      name: props.names.userPool,
      schema: [
        {
          name: CUSTOMER_ID_ATTRIBUTE,
          attributeDataType: 'String',
          mutable: false,
          developerOnlyAttribute: false,
          required: false,
          // The customer id rule of core/input-bounds.ts: 1–64 characters.
          stringAttributeConstraints: { minLength: '1', maxLength: '64' },
        },
      ],
      // Users belong to a customer, so an operator creates them (with the customer id).
      adminCreateUserConfig: { allowAdminCreateUserOnly: true },
      passwordPolicy: { minimumLength: 12, requireLowercase: true, requireUppercase: true, requireNumbers: true, requireSymbols: true, temporaryPasswordValidityDays: 3 },
      deletionProtection: 'ACTIVE',
      tags: props.tags,
    });
    this.client = new CognitoUserPoolClient(this, 'app-client', {
      name: props.names.userPoolClient,
      userPoolId: this.userPool.id,
      // A public client (CLIs, browser pages): no secret it could not keep.
      generateSecret: false,
      explicitAuthFlows: ['ALLOW_USER_SRP_AUTH', 'ALLOW_USER_PASSWORD_AUTH', 'ALLOW_REFRESH_TOKEN_AUTH'],
      readAttributes: [`custom:${CUSTOMER_ID_ATTRIBUTE}`, 'email', 'email_verified'],
      // Not custom:customer_id: the user cannot change their own customer.
      writeAttributes: ['email'],
      idTokenValidity: props.api.idTokenValidityMinutes,
      accessTokenValidity: props.api.idTokenValidityMinutes,
      refreshTokenValidity: 30,
      tokenValidityUnits: [{ idToken: 'minutes', accessToken: 'minutes', refreshToken: 'days' }],
      preventUserExistenceErrors: 'ENABLED',
      enableTokenRevocation: true,
    });
  }
}

/** The gateway responses for refusals before the integration: 401 (no or bad credential) and 403 (policy denies). */
export const AUTH_GATEWAY_RESPONSES = {
  UNAUTHORIZED: { code: ERROR_CODES.unauthorized, detail: 'send "Authorization: Bearer <API key or ID token>" with a valid credential' },
  ACCESS_DENIED: { code: ERROR_CODES.forbidden, detail: 'the credential does not allow this request' },
} as const satisfies Record<string, { code: ErrorCode; detail: string }>;

/**
 * The problem+json body (RFC 9457) of an authorizer refusal, as a gateway response mapping
 * template: the same fields as the API's own problems (ingest-api/problem.ts), plus the request id.
 */
export function problemTemplate(code: ErrorCode, detail: string): string {
  const { status, title } = HTTP_PROBLEMS[code];
  return `{"type":"${problemType(code)}","title":"${title}","status":${status},"detail":"${detail.replace(/"/g, '\\"')}","code":"${code}","requestId":"$context.requestId"}`;
}

/** What {@link GatewayAuthorizer} attaches to. */
export interface GatewayAuthorizerProps {
  restApi: ApiGatewayRestApi;
  /** The authorizer Lambda (cdktf/constructs/compute.ts). */
  fn: LambdaFunction;
  /** The CORS `responseParameters` the API's other gateway responses carry (api.ts). */
  corsParameters: Record<string, string>;
}

/**
 * The REST API's Lambda REQUEST authorizer: identity source the Authorization header, answers
 * cached for `api.authorizerResultTtlSeconds`, the permission for API Gateway to invoke it, and
 * the UNAUTHORIZED / ACCESS_DENIED gateway responses as problem+json with CORS headers.
 */
export class GatewayAuthorizer extends Construct {
  readonly authorizer: ApiGatewayAuthorizer;
  readonly gatewayResponses: ApiGatewayGatewayResponse[];

  constructor(scope: Construct, id: string, ctx: StackContext, deps: GatewayAuthorizerProps) {
    super(scope, id);
    const { props } = ctx;
    this.authorizer = new ApiGatewayAuthorizer(this, 'authorizer', {
      name: `${props.names.api}-credentials`,
      restApiId: deps.restApi.id,
      type: 'REQUEST',
      authorizerUri: deps.fn.invokeArn,
      identitySource: AUTHORIZER_IDENTITY_SOURCE,
      authorizerResultTtlInSeconds: props.api.authorizerResultTtlSeconds,
    });
    new LambdaPermission(this, 'api-invokes-authorizer', {
      action: 'lambda:InvokeFunction',
      functionName: deps.fn.functionName,
      principal: 'apigateway.amazonaws.com',
      sourceArn: `${deps.restApi.executionArn}/authorizers/${this.authorizer.id}`,
    });
    this.gatewayResponses = Object.entries(AUTH_GATEWAY_RESPONSES).map(
      ([responseType, { code, detail }]) =>
        new ApiGatewayGatewayResponse(this, `gateway-response-${responseType.toLowerCase().replace('_', '-')}`, {
          restApiId: deps.restApi.id,
          responseType,
          statusCode: String(HTTP_PROBLEMS[code].status),
          responseTemplates: { 'application/json': problemTemplate(code, detail) },
          responseParameters: { 'gatewayresponse.header.Content-Type': "'application/problem+json'", ...deps.corsParameters },
        }),
    );
  }
}
