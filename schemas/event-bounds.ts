/**
 * The edge bounds of an image event, shared by the consumer (which dead-letters an event over
 * them) and every producer that checks an event before sending it (`ingest publish`), so both
 * apply the same rules.
 */
import { assertMaxBytes, assertRequestBounds, INPUT_BOUNDS } from '../core/input-bounds';
import { canonicalSourceUrl } from '../core/source-url';
import type { ImageEvent } from './image-event';

/**
 * Checks an event's fields against the bounds both paths share (customer id, file name,
 * attributes) and the event-only ones (content type, S3 reference, and the source URL rule of
 * every entry point, `canonicalSourceUrl`).
 *
 * @throws InvalidParameterError naming the first field over its bound.
 * @throws InvalidUrlError when `image.url` is not one unambiguous absolute URL (whitespace,
 *   control or backslash characters, no host).
 * @example
 * assertEventBounds(event); // before sending it (producer)
 */
export function assertEventBounds(event: ImageEvent): void {
  boundedEvent(event);
}

/**
 * {@link assertEventBounds}, returning the event as the pipeline uses it: a URL image's `url` in
 * canonical form (the string that is fetched, recorded as `sourceUrl` and announced).
 *
 * @throws InvalidParameterError, InvalidUrlError as {@link assertEventBounds}.
 * @example
 * const event = boundedEvent(decoded); // the consumer, before ingesting it
 */
export function boundedEvent(event: ImageEvent): ImageEvent {
  assertRequestBounds(event);
  if (event.contentType !== undefined) assertMaxBytes(event.contentType, INPUT_BOUNDS.contentTypeMaxBytes, 'contentType');
  const image = event.image;
  if (image.kind === 's3') {
    assertMaxBytes(image.bucket, INPUT_BOUNDS.bucketMaxBytes, 'image.bucket');
    assertMaxBytes(image.key, INPUT_BOUNDS.objectKeyMaxBytes, 'image.key');
    if (image.versionId !== undefined) assertMaxBytes(image.versionId, INPUT_BOUNDS.versionIdMaxBytes, 'image.versionId');
  } else if (image.kind === 'url') {
    return { ...event, image: { ...image, url: canonicalSourceUrl(image.url, 'image.url') } };
  }
  return event;
}
