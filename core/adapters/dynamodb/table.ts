/**
 * The images table's key and index layout: used by the metadata-store adapter, the local
 * bootstrap and (by the same names) the CDKTF app.
 */
import { INDEX_NAMES } from '../../constants';

export const IMAGE_TABLE = {
  partitionKey: 'imageId',
  ttlAttribute: 'expiresAt',
  /** "Newest first for a customer": partition customerId, sort createdAt (ISO-8601). */
  customerIndex: { name: INDEX_NAMES.byCustomer, partitionKey: 'customerId', sortKey: 'createdAt' },
  /** "By status for a day": partition `<STATUS>#YYYY-MM-DD`, sort createdAt. */
  statusIndex: { name: INDEX_NAMES.byStatusDay, partitionKey: 'statusDay', sortKey: 'createdAt' },
} as const;
