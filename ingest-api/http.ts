import type { APIGatewayProxyEvent } from 'aws-lambda';
import { newImageId } from '../core';
import { bodyBytes } from './request-body';

/**
 * One HTTP request as the router and the route bindings see it: plain values, read once from the
 * API Gateway event, so nothing past {@link fromApiGatewayEvent} depends on the event's shape.
 */
export interface HttpRequest {
  /** `GET`, `POST`, … as sent. */
  method: string;
  /** The path without stage or query, as API Gateway passes it (`/v1/images/…`). */
  path: string;
  /** Header values by lower-case name (API Gateway REST passes names as the client sent them). */
  headers: Readonly<Record<string, string>>;
  /** Query string parameters (the last value of a repeated one, as API Gateway's single-value map). */
  query: Readonly<Record<string, string>>;
  /** The body as bytes (API Gateway base64-encodes binary media types); empty when there is none. */
  body: Buffer;
  /** API Gateway's request id, or a new id when the event has none. */
  requestId: string;
  /**
   * What an API Gateway authorizer attached (`requestContext.authorizer`, e.g. a Cognito user
   * pool authorizer's `claims`), for authenticators that trust the gateway's check.
   */
  authorizer?: Readonly<Record<string, unknown>>;
}

/**
 * Reads an API Gateway REST proxy event into an {@link HttpRequest}.
 * @example
 * const request = fromApiGatewayEvent(event);
 * request.headers['content-type'];
 */
export function fromApiGatewayEvent(event: APIGatewayProxyEvent): HttpRequest {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(event.headers ?? {})) if (value !== undefined) headers[name.toLowerCase()] = value;
  const query: Record<string, string> = {};
  for (const [name, value] of Object.entries(event.queryStringParameters ?? {})) if (value !== undefined) query[name] = value;
  const authorizer = event.requestContext?.authorizer;
  return {
    method: event.httpMethod,
    path: event.path,
    headers,
    query,
    body: bodyBytes(event),
    requestId: event.requestContext?.requestId ?? newImageId(),
    ...(authorizer === null || authorizer === undefined ? {} : { authorizer }),
  };
}
