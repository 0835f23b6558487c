import { NotFoundError, invalidParameterError, isValidImageId, type MetadataStore } from '../../core';
import { presentImage, type ImageView, type ImageViewDependencies } from './image-view';

/** What `GET /v1/images/{id}` needs. */
export interface GetImageDependencies {
  metadata: Pick<MetadataStore, 'get'>;
  views: ImageViewDependencies;
  /** @default () => new Date() */
  clock?: () => Date;
}

/** One record lookup. */
export interface GetImageInput {
  customerId: string;
  /** The `{id}` path parameter, decoded. */
  imageId: string;
}

/**
 * The caller's image record. Another customer's image is as invisible as a missing one.
 *
 * @throws InvalidParameterError when `imageId` is not an image id.
 * @throws NotFoundError when there is no such image for this customer, or it has expired.
 * @example
 * const image = await getImage(deps, { customerId: 'acme', imageId });
 */
export async function getImage(deps: GetImageDependencies, input: GetImageInput): Promise<ImageView> {
  const { imageId } = input;
  if (!isValidImageId(imageId)) throw invalidParameterError('id', 'an image id', imageId);
  const record = await deps.metadata.get(imageId, (deps.clock ?? (() => new Date()))());
  if (record === undefined || record.customerId !== input.customerId) throw new NotFoundError(`image ${imageId} does not exist or has expired`);
  return presentImage(deps.views, record);
}
