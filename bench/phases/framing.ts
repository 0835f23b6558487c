/**
 * Phase 7, framing: decode rate of the same reference events in every framing the consumer reads,
 * through the consumer's decoder with the writer-schema cache warm. Glue writer schemas come from
 * the local Glue (moto) once, as in the Lambda; Confluent ids from an in-memory registry port (no
 * Confluent-compatible registry runs locally). Framings are timed in interleaved rounds so load
 * from the rest of the machine falls on all of them alike.
 */
import { randomUUID } from 'node:crypto';
import { GlueSchemaRegistry } from '../../core/adapters/glue/schema-registry';
import type { RegistrySchema, SchemaRegistryClient } from '../../core/ports';
import { IMAGE_EVENT_SCHEMA, ImageEventCodec, ImageEventDecoder, frameConfluent, frameGlue, type ImageEvent } from '../../schemas';
import type { BenchContext } from '../context';

/** The framings measured, in report order. */
export const MEASURED_FRAMINGS = ['single-object', 'glue', 'glue-zlib', 'confluent', 'esm-json'] as const;

/** Decodes per second of each framing, and Glue's cost relative to single-object. */
export interface FramingResult {
  decodePerSec: Record<(typeof MEASURED_FRAMINGS)[number], number>;
  /** single-object rate ÷ Glue (uncompressed) rate: how many times longer a Glue decode takes. */
  glueVsSingleObject: number;
  /** The same for zlib-compressed Glue records. */
  glueZlibVsSingleObject: number;
  eventsPerFraming: number;
  meanMessageBytes: Record<(typeof MEASURED_FRAMINGS)[number], number>;
}

function referenceEvent(i: number): ImageEvent {
  const eventId = randomUUID();
  return {
    eventId,
    occurredAt: new Date(1_700_000_000_000 + i * 1000),
    customerId: `customer-${i % 50}`,
    fileName: `IMG_${String(i).padStart(5, '0')}.jpg`,
    contentType: 'image/jpeg',
    attributes: { camera: 'bench', album: `album-${i % 7}`, batch: String(i % 13) },
    image: i % 2 === 0 ? { kind: 's3', bucket: 'image-pipeline-raw', key: `uploads/2024/06/${eventId}.jpg` } : { kind: 'url', url: `https://images.example.com/p/${eventId}.jpg` },
  };
}

/** A Confluent id → schema map in memory: the registry port, as a Confluent client's cache would hold it. */
class InMemoryConfluent implements SchemaRegistryClient {
  readonly kind = 'confluent' as const;
  constructor(private readonly schemas: Record<string, RegistrySchema>) {}
  async getSchema(schemaId: string): Promise<RegistrySchema | undefined> {
    return this.schemas[schemaId];
  }
}

/**
 * Finds the v1 schema's version in the stack's Glue registry, encodes 1,000 reference events in each
 * framing, warms the decoder, then times `rounds` interleaved rounds of `perRound` decodes each.
 * @default rounds 12, perRound 5000
 */
export async function measureFramingDecode(ctx: Pick<BenchContext, 'runtime' | 'config'>, rounds = 12, perRound = 5000): Promise<FramingResult> {
  const glue = new GlueSchemaRegistry(ctx.runtime.clients.glue);
  // The registry the stack bootstrap made (idempotent): Glue allows few registries per account.
  const { glueRegistryName, glueSchemaName } = ctx.config.schemaRegistry;
  const versionId = await glue.registerAvroVersion(glueRegistryName, glueSchemaName, JSON.stringify(IMAGE_EVENT_SCHEMA));
  const codec = new ImageEventCodec();
  const decoder = new ImageEventDecoder({ glue, confluent: new InMemoryConfluent({ '1': { dataFormat: 'AVRO', definition: JSON.stringify(IMAGE_EVENT_SCHEMA) } }) });
  const events = Array.from({ length: 1000 }, (_, i) => referenceEvent(i));
  const singleObject = events.map((e) => codec.encode(e));
  const bodies = singleObject.map((m) => m.subarray(10));
  const readerType = codec.registry.reader.type;
  const messages = {
    'single-object': singleObject,
    glue: bodies.map((b) => frameGlue(versionId, b)),
    'glue-zlib': bodies.map((b) => frameGlue(versionId, b, 'zlib')),
    confluent: bodies.map((b) => frameConfluent(1, b)),
    'esm-json': bodies.map((b) => Buffer.from(readerType.toString(readerType.fromBuffer(b)))),
  } as const;
  const decodeOne = (framing: (typeof MEASURED_FRAMINGS)[number], message: Buffer): Promise<ImageEvent> =>
    framing === 'esm-json' ? decoder.decodeJson(message, { dataFormat: 'AVRO', schemaId: versionId }) : decoder.decode(message);

  let sink = 0;
  // Warm-up: fetch the writer schemas once and let V8 optimise every path.
  for (const framing of MEASURED_FRAMINGS) {
    for (let i = 0; i < 10_000; i++) sink += (await decodeOne(framing, messages[framing][i % 1000] as Buffer)).customerId.length;
  }
  const elapsed = Object.fromEntries(MEASURED_FRAMINGS.map((f) => [f, 0])) as Record<(typeof MEASURED_FRAMINGS)[number], number>;
  for (let round = 0; round < rounds; round++) {
    for (const framing of MEASURED_FRAMINGS) {
      const list = messages[framing];
      const started = performance.now();
      for (let i = 0; i < perRound; i++) sink += (await decodeOne(framing, list[(round * perRound + i) % 1000] as Buffer)).customerId.length;
      elapsed[framing] += performance.now() - started;
    }
  }
  // The sink is checked so the decodes cannot be optimised away.
  if (sink === 0) throw new Error('decoded events carried no customer ids');
  const count = rounds * perRound;
  const rate = (framing: (typeof MEASURED_FRAMINGS)[number]): number => count / (elapsed[framing] / 1000);
  const decodePerSec = Object.fromEntries(MEASURED_FRAMINGS.map((f) => [f, rate(f)])) as FramingResult['decodePerSec'];
  return {
    decodePerSec,
    glueVsSingleObject: decodePerSec['single-object'] / decodePerSec.glue,
    glueZlibVsSingleObject: decodePerSec['single-object'] / decodePerSec['glue-zlib'],
    eventsPerFraming: count,
    meanMessageBytes: Object.fromEntries(MEASURED_FRAMINGS.map((f) => [f, Math.round(messages[f].reduce((s, m) => s + m.length, 0) / messages[f].length)])) as FramingResult['meanMessageBytes'],
  };
}
