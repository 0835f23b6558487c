/**
 * A Confluent-compatible schema registry (Confluent, Apicurio's compatibility API, Redpanda,
 * Karapace) behind {@link SchemaRegistryClient}, through the kept `@kafkajs/confluent-schema-registry`
 * client (REST `GET /schemas/ids/{id}`, with its own cache and retries).
 */
import { SchemaRegistry } from '@kafkajs/confluent-schema-registry';
import type { Type } from 'avsc';
import { DependencyError } from '../../errors';
import type { RegistrySchema, SchemaRegistryClient } from '../../ports';

/** The part of the kept client this adapter uses, so tests can hand a recorded one. */
export interface ConfluentSchemaLookup {
  getSchema(registryId: number): Promise<unknown>;
}

/** Options of {@link ConfluentSchemaRegistry}. */
export interface ConfluentSchemaRegistryOptions {
  /** Base URL of the registry's REST API, e.g. `http://127.0.0.1:8081/apis/ccompat/v7`. */
  url: string;
  /** @default a client from `@kafkajs/confluent-schema-registry` for `url` */
  client?: ConfluentSchemaLookup;
}

/**
 * {@link SchemaRegistryClient} on a Confluent-compatible registry. Ids are the decimal text of
 * the 4-byte schema id in the record.
 *
 * @example
 * const registry = new ConfluentSchemaRegistry({ url: config.schemaRegistry.confluentUrl });
 */
export class ConfluentSchemaRegistry implements SchemaRegistryClient {
  readonly kind = 'confluent' as const;
  private readonly client: ConfluentSchemaLookup;

  constructor(private readonly options: ConfluentSchemaRegistryOptions) {
    this.client = options.client ?? new SchemaRegistry({ host: options.url, retry: { retries: 2 } });
  }

  /**
   * The Avro schema with this id, or `undefined` when the registry answers 404 or the schema is
   * not Avro (the client parses Avro schemas into avsc types; anything else has no `schema()`).
   *
   * @throws DependencyError when the registry cannot be reached or fails.
   */
  async getSchema(schemaId: string): Promise<RegistrySchema | undefined> {
    let found: unknown;
    try {
      found = await this.client.getSchema(Number(schemaId));
    } catch (error) {
      const status = (error as { status?: number }).status;
      if (status === 404 || /not found/i.test((error as Error).message ?? '')) return undefined;
      throw new DependencyError('Confluent schema registry', `GET /schemas/ids/${schemaId} at ${this.options.url} failed: ${(error as Error).name ?? 'Error'}`, { cause: error });
    }
    if (typeof (found as Partial<Type>)?.schema !== 'function') return undefined;
    // exportAttrs keeps logicalType and defaults, so the schema resolves as the writer wrote it.
    return { dataFormat: 'AVRO', definition: JSON.stringify((found as Type).schema({ exportAttrs: true })) };
  }
}
