/**
 * The edge bounds of an image event, shared by the consumer (which dead-letters an event over
 * them) and every producer that checks an event before sending it (`ingest publish`), so both
 * apply the same rules.
 */
import { assertMaxBytes, assertRequestBounds, INPUT_BOUNDS } from '../core/input-bounds';
import type { ImageEvent } from './image-event';

/**
 * Checks an event's fields against the bounds both paths share (customer id, file name,
 * attributes) and the event-only ones (content type, S3 reference, URL).
 *
 * @throws InvalidParameterError naming the first field over its bound.
 * @example
 * assertEventBounds(event); // before ingesting it (consumer) or sending it (producer)
 */
export function assertEventBounds(event: ImageEvent): void {
  assertRequestBounds(event);
  if (event.contentType !== undefined) assertMaxBytes(event.contentType, INPUT_BOUNDS.contentTypeMaxBytes, 'contentType');
  const image = event.image;
  if (image.kind === 's3') {
    assertMaxBytes(image.bucket, INPUT_BOUNDS.bucketMaxBytes, 'image.bucket');
    assertMaxBytes(image.key, INPUT_BOUNDS.objectKeyMaxBytes, 'image.key');
    if (image.versionId !== undefined) assertMaxBytes(image.versionId, INPUT_BOUNDS.versionIdMaxBytes, 'image.versionId');
  } else if (image.kind === 'url') {
    assertMaxBytes(image.url, INPUT_BOUNDS.urlMaxBytes, 'image.url');
  }
}
