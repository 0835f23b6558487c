import { ForbiddenError, IMAGE_STATUSES, invalidParameterError, type ImageStatus, type MetadataStore } from '../../core';
import { presentImage, type ImageView, type ImageViewDependencies } from './image-view';

/** What `GET /v1/images` needs. */
export interface ListImagesDependencies {
  metadata: Pick<MetadataStore, 'listByCustomer'>;
  views: ImageViewDependencies;
  /** @default () => new Date() */
  clock?: () => Date;
}

/** The query parameters of `GET /v1/images`, as sent (all optional strings). */
export interface ListImagesQuery {
  /** Must be the caller's own customer id when given. */
  customerId?: string;
  /** One of `RECEIVED | PROCESSED | FAILED`. */
  status?: string;
  /** Page size, an integer 1–100. @default '20' */
  limit?: string;
  /** The `cursor` of the previous page. */
  cursor?: string;
}

/** One page, newest first; `cursor` is absent on the last page. */
export interface ImagePage {
  items: ImageView[];
  cursor?: string;
}

/** Default and largest page size. */
export const LIST_PAGE_SIZE = { default: 20, max: 100 } as const;

/**
 * The caller's images, newest first, one page at a time.
 *
 * @throws ForbiddenError when `customerId` names another customer.
 * @throws InvalidParameterError for an unknown status, a limit outside 1–100 or a cursor that
 *   is not one this API returned to this customer.
 * @example
 * const page = await listImages(deps, { customerId: 'acme', query: { limit: '10' } });
 */
export async function listImages(deps: ListImagesDependencies, input: { customerId: string; query: ListImagesQuery }): Promise<ImagePage> {
  const { query, customerId } = input;
  if (query.customerId !== undefined && query.customerId !== customerId) throw new ForbiddenError("an API key can only list its own customer's images");
  const status = query.status;
  if (status !== undefined && !(IMAGE_STATUSES as readonly string[]).includes(status)) throw invalidParameterError('status', IMAGE_STATUSES.join(' | '), status);
  // Decimal digits only: Number() would also take '0x5', '1e1', ' 5' and '+5'.
  const limit = query.limit === undefined ? LIST_PAGE_SIZE.default : /^\d{1,3}$/.test(query.limit) ? Number(query.limit) : Number.NaN;
  if (!Number.isInteger(limit) || limit < 1 || limit > LIST_PAGE_SIZE.max) throw invalidParameterError('limit', `integer between 1 and ${LIST_PAGE_SIZE.max}`, query.limit);
  const page = await deps.metadata.listByCustomer(customerId, { status: status as ImageStatus | undefined, limit, cursor: query.cursor }, (deps.clock ?? (() => new Date()))());
  const items = await Promise.all(page.items.map((record) => presentImage(deps.views, record)));
  return { items, cursor: page.cursor };
}
