import type { BlobStore, ImageRecord, ImageSource, ImageStatus, ObjectLocation } from '../../core';

/** What the use cases need to show a record: presigned GET URLs for its processed copies. */
export interface ImageViewDependencies {
  blobs: Pick<BlobStore, 'presignGet'>;
  /** The bucket holding the processed copies. */
  processedBucket: string;
  /** Lifetime of each presigned variant URL, in seconds. */
  presignExpirySeconds: number;
}

/** One processed copy as the API shows it, with a presigned GET URL. */
export interface VariantView {
  format: string;
  contentType: string;
  width: number;
  height: number;
  bytes: number;
  key: string;
  /** Presigned GET URL, valid for `presignExpirySeconds`. */
  url: string;
}

/** The public view of a record (`GET /v1/images/{id}`, the 201 of `POST /v1/images`, list items). */
export interface ImageView {
  imageId: string;
  status: ImageStatus;
  source: ImageSource;
  customerId: string;
  fileName?: string;
  format?: string;
  contentType?: string;
  width?: number;
  height?: number;
  bytes: number;
  sha256: string;
  metadata: { hasAlpha?: boolean; colorSpace?: string; orientation?: number; capturedAt?: string; cameraMake?: string; cameraModel?: string };
  raw: ObjectLocation;
  variants: Record<string, VariantView>;
  error?: ImageRecord['error'];
  /** The URL a URL import downloads (or downloaded) from. */
  sourceUrl?: string;
  createdAt: string;
  updatedAt: string;
  expiresAt: number;
}

/** The public view of a record, with fresh presigned GET URLs for its variants. */
export async function presentImage(deps: ImageViewDependencies, record: ImageRecord): Promise<ImageView> {
  const variants: Record<string, VariantView> = {};
  for (const [name, v] of Object.entries(record.variants ?? {})) {
    const url = await deps.blobs.presignGet({ bucket: deps.processedBucket, key: v.key }, deps.presignExpirySeconds);
    variants[name] = { format: v.format, contentType: v.contentType, width: v.width, height: v.height, bytes: v.bytes, key: v.key, url };
  }
  return {
    imageId: record.imageId,
    status: record.status,
    source: record.source,
    customerId: record.customerId,
    fileName: record.fileName,
    format: record.format,
    contentType: record.contentType,
    width: record.width,
    height: record.height,
    bytes: record.bytes,
    sha256: record.sha256,
    metadata: { hasAlpha: record.hasAlpha, colorSpace: record.colorSpace, orientation: record.orientation, capturedAt: record.capturedAt, cameraMake: record.cameraMake, cameraModel: record.cameraModel },
    raw: record.raw,
    variants,
    error: record.error,
    sourceUrl: record.sourceUrl,
    createdAt: record.createdAt,
    updatedAt: record.updatedAt,
    expiresAt: record.expiresAt,
  };
}
