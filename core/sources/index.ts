/**
 * Where an image's bytes come from: one resolver for inline bytes, S3 claim checks, presigned
 * uploads and URLs, with one set of rules (size, time, unavailable vs rejected), the S3 source
 * policy, and the one way an asynchronous path ingests from a source.
 */
export { ImageSourceResolver, IMAGE_SOURCE_KINDS } from './resolver';
export type { ImageSourceRef, ImageSourceResolverDependencies, ResolvedSource, SourceOwner } from './resolver';
export { ingestFromSource } from './ingest-from-source';
export type { SourceIngestDependencies } from './ingest-from-source';
export { allowedSourcePrefix, assertAllowedS3Source } from './source-policy';
