/**
 * Phase 6, Avro: decode rate of reference events (an S3 object or URL, no image bytes) with the
 * consumer's codec, in the driver process while nothing else of the benchmark runs.
 */
import { randomUUID } from 'node:crypto';
import { ImageEventCodec, type ImageEvent } from '../../schemas';

/** The decode rate and the work behind it. */
export interface AvroResult {
  decodePerSec: number;
  events: number;
  distinctMessages: number;
  meanMessageBytes: number;
}

function referenceEvent(i: number): ImageEvent {
  const base = {
    eventId: randomUUID(),
    occurredAt: new Date(1_700_000_000_000 + i * 1000),
    customerId: `customer-${i % 50}`,
    fileName: `IMG_${String(i).padStart(5, '0')}.jpg`,
    contentType: 'image/jpeg',
    attributes: { camera: 'bench', album: `album-${i % 7}`, batch: String(i % 13) },
  };
  return i % 2 === 0
    ? { ...base, image: { kind: 's3', bucket: 'image-pipeline-raw', key: `uploads/2024/06/${base.eventId}.jpg` } }
    : { ...base, image: { kind: 'url', url: `https://images.example.com/p/${base.eventId}.jpg` } };
}

/**
 * Decodes 1,000 distinct messages round-robin for about `durationMs` after a warm-up.
 * @default durationMs 3000
 */
export function measureAvroDecode(durationMs = 3000): AvroResult {
  const codec = new ImageEventCodec();
  const messages = Array.from({ length: 1000 }, (_, i) => codec.encode(referenceEvent(i)));
  let sink = 0;
  // Warm-up: let V8 optimise the decoders before timing them.
  for (let i = 0; i < 20_000; i++) sink += codec.decode(messages[i % messages.length] as Buffer).customerId.length;
  let events = 0;
  const started = performance.now();
  let elapsed = 0;
  while (elapsed < durationMs) {
    for (let i = 0; i < 5000; i++) sink += codec.decode(messages[(events + i) % messages.length] as Buffer).customerId.length;
    events += 5000;
    elapsed = performance.now() - started;
  }
  // The sink is checked so the decodes cannot be optimised away.
  if (sink === 0) throw new Error('decoded events carried no customer ids');
  return {
    decodePerSec: events / (elapsed / 1000),
    events,
    distinctMessages: messages.length,
    meanMessageBytes: Math.round(messages.reduce((s, m) => s + m.length, 0) / messages.length),
  };
}
