/**
 * A stand-in for the X-Ray daemon: a UDP socket on 127.0.0.1 that receives what the X-Ray SDK's
 * real emitter sends and parses it, so tracing tests read the segments as the daemon would,
 * without replacing any part of the SDK.
 *
 * The daemon protocol (AWS X-Ray Developer Guide, "Sending segment documents to the X-Ray
 * daemon"): one UDP datagram per document, a JSON header line `{"format":"json","version":1}`,
 * a newline, then the segment (or streamed subsegment) document.
 */
import { createSocket, type Socket } from 'node:dgram';
import AWSXRay from 'aws-xray-sdk-core';
import { pollUntil } from './wait';

const PROTOCOL_HEADER = '{"format":"json","version":1}';
const MARKER_PREFIX = 'xray-daemon-marker-';

/** A segment document as the daemon receives it; the fields the tests read, the rest kept. */
export interface SegmentDocument {
  name: string;
  annotations?: Record<string, string | number | boolean>;
  subsegments?: SegmentDocument[];
  namespace?: string;
  fault?: boolean;
  error?: boolean;
  cause?: { exceptions?: { message: string }[] };
  aws?: { operation?: string };
  [field: string]: unknown;
}

/** A running stand-in; {@link XRayDaemonStandIn.close} stops it. */
export interface XRayDaemonStandIn {
  /** `127.0.0.1:<port>`, for `AWSXRay.setDaemonAddress`. */
  readonly address: string;
  /** Datagrams that were not `header\ndocument` (kept so a test can assert there are none). */
  readonly malformed: string[];
  /**
   * Every document received until now, then forgets them: first it sends a marker segment
   * through the SDK's own emitter and waits (up to `timeoutMs`) until that arrives, so every
   * document emitted before the call is in (loopback UDP from one socket keeps its order).
   * The marker itself is not returned.
   * @throws WaitTimeoutError when the marker does not arrive.
   */
  take(timeoutMs?: number): Promise<SegmentDocument[]>;
  close(): Promise<void>;
}

/**
 * Starts the stand-in on a free 127.0.0.1 port and points the X-Ray SDK at it.
 * @example
 * const daemon = await startXRayDaemonStandIn();
 * afterAll(() => daemon.close());
 * root.close();
 * const [document] = await daemon.take();
 */
export async function startXRayDaemonStandIn(): Promise<XRayDaemonStandIn> {
  const socket: Socket = createSocket('udp4');
  const documents: SegmentDocument[] = [];
  const malformed: string[] = [];
  socket.on('message', (message) => {
    const text = message.toString('utf8');
    const newline = text.indexOf('\n');
    if (newline < 0 || text.slice(0, newline) !== PROTOCOL_HEADER) {
      malformed.push(text);
      return;
    }
    try {
      documents.push(JSON.parse(text.slice(newline + 1)) as SegmentDocument);
    } catch {
      malformed.push(text);
    }
  });
  await new Promise<void>((resolve, reject) => {
    socket.once('error', reject);
    socket.bind(0, '127.0.0.1', () => resolve());
  });
  const address = `127.0.0.1:${socket.address().port}`;
  AWSXRay.setDaemonAddress(address);
  let markers = 0;
  return {
    address,
    malformed,
    async take(timeoutMs = 10_000) {
      const marker = `${MARKER_PREFIX}${markers++}`;
      new AWSXRay.Segment(marker).close();
      await pollUntil(() => documents.some((d) => d.name === marker), Boolean, { what: `the X-Ray marker segment ${marker}`, timeoutMs, intervalMs: 20 });
      const taken = documents.splice(0, documents.length);
      return taken.filter((d) => !d.name.startsWith(MARKER_PREFIX));
    },
    close: () => new Promise<void>((resolve) => socket.close(() => resolve())),
  };
}
