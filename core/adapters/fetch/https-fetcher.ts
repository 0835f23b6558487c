import type { Config } from '../../config';
import type { FetchedBytes, ImageFetcher, ImageFetchRequest } from '../../ports';
import { assertFetchableUrl, fetchImage, targetRefusal, type FetchImageOptions } from './fetch-image';

/** The settings a fetcher keeps for every download: everything of {@link FetchImageOptions} but the per-call size cap and context. */
export type HttpsImageFetcherOptions = Omit<FetchImageOptions, 'maxBytes' | 'context'>;

/**
 * {@link ImageFetcher} over {@link fetchImage}: https only, public addresses only (checked in
 * each connection's DNS lookup and on every redirect hop), the byte cap enforced while
 * streaming, per-attempt timeouts, a total deadline and bounded retries.
 *
 * @example
 * const fetcher = HttpsImageFetcher.fromConfig(loadConfig());
 * const { bytes } = await fetcher.fetch('https://images.example.com/cat.jpg', { maxBytes: 10 * 1024 * 1024 });
 */
export class HttpsImageFetcher implements ImageFetcher {
  /**
   * @param options settings of every download (see {@link FetchImageOptions} for each default).
   * @param download the downloader; tests hand their own to observe the settings.
   * @default download fetchImage
   */
  constructor(
    readonly options: HttpsImageFetcherOptions,
    private readonly download: typeof fetchImage = fetchImage,
  ) {}

  /**
   * The fetcher `config.fetch` describes: `FETCH_TIMEOUT_MS` per attempt, `FETCH_DEADLINE_MS` in
   * all, `FETCH_ALLOW_LOOPBACK` and `FETCH_ALLOWED_PORTS`.
   */
  static fromConfig(config: Pick<Config, 'fetch'>, download: typeof fetchImage = fetchImage): HttpsImageFetcher {
    const { allowLoopback, allowedPorts, timeoutMs, deadlineMs } = config.fetch;
    return new HttpsImageFetcher({ allowLoopback, allowedPorts, timeoutMs, deadlineMs }, download);
  }

  /**
   * Refuses, without sending anything, a URL this fetcher would refuse before its first request
   * (scheme, credentials, port, a literal host the address policy forbids); see
   * {@link assertFetchableUrl}. Producers call it to keep from publishing what consumers refuse.
   * @throws ForbiddenSourceError naming the URL and the reason.
   */
  assertFetchable(url: string): void {
    assertFetchableUrl(url, { allowLoopback: this.options.allowLoopback, allowedPorts: this.options.allowedPorts });
  }

  /** Why this fetcher would refuse `url` from the URL alone (scheme, port, literal address, `localhost`), or undefined. */
  refusal(url: string): string | undefined {
    return targetRefusal(url, { allowLoopback: this.options.allowLoopback, allowedPorts: this.options.allowedPorts });
  }

  /** @throws ForbiddenSourceError, ImageTooLargeError or SourceFetchError (never retriable), InvalidParameterError for a bad option. */
  async fetch(url: string, request: ImageFetchRequest): Promise<FetchedBytes> {
    const fetched = await this.download(url, { ...this.options, maxBytes: request.maxBytes, context: request.context });
    return { bytes: fetched.bytes, contentType: fetched.contentType };
  }
}
