/**
 * The AWS Glue Schema Registry behind {@link SchemaRegistryClient}: `GetSchemaVersion` by
 * schema version id for readers, and the registry/schema/version creation the local bootstrap
 * and publishers need.
 */
import {
  AlreadyExistsException,
  CreateRegistryCommand,
  CreateSchemaCommand,
  EntityNotFoundException,
  GetSchemaByDefinitionCommand,
  GetSchemaVersionCommand,
  RegisterSchemaVersionCommand,
  type GlueClient,
} from '@aws-sdk/client-glue';
import type { RegistrySchema, SchemaRegistryClient } from '../../ports';
import { asDependencyError } from '../dependency-error';

/** Glue's `Status` of a schema version that may be read. */
const AVAILABLE = 'AVAILABLE';

/**
 * {@link SchemaRegistryClient} on AWS Glue. `GetSchemaVersion` finds a version by id alone,
 * whatever registry holds it, so a reader needs no registry name.
 *
 * @example
 * const registry = new GlueSchemaRegistry(clients.glue);
 * const schema = await registry.getSchema('b7b4a7f0-…');
 */
export class GlueSchemaRegistry implements SchemaRegistryClient {
  readonly kind = 'glue' as const;

  constructor(private readonly client: GlueClient) {}

  /**
   * The schema version with this id; `undefined` when Glue does not know it or it is not
   * `AVAILABLE` (pending, failure or deleting).
   *
   * @throws DependencyError when Glue fails or throttles.
   */
  async getSchema(schemaVersionId: string): Promise<RegistrySchema | undefined> {
    try {
      const version = await this.client.send(new GetSchemaVersionCommand({ SchemaVersionId: schemaVersionId }));
      if (version.Status !== AVAILABLE || version.SchemaDefinition === undefined) return undefined;
      return { dataFormat: version.DataFormat ?? 'AVRO', definition: version.SchemaDefinition };
    } catch (error) {
      if (error instanceof EntityNotFoundException || (error as { name?: string }).name === 'EntityNotFoundException') return undefined;
      // Glue answers a malformed id with InvalidInputException: the record names no version Glue can have.
      if ((error as { name?: string }).name === 'InvalidInputException') return undefined;
      throw asDependencyError('Glue', `GetSchemaVersion ${schemaVersionId}`, error);
    }
  }

  /**
   * Registers an Avro schema definition as a version of `schemaName` in `registryName`, creating
   * the registry and schema when missing (schema compatibility `BACKWARD`), and returns the
   * version id. Registering a definition that is already a version returns that version's id.
   *
   * @throws DependencyError when Glue fails.
   * @example
   * const versionId = await registry.registerAvroVersion('image-pipeline', 'image-events-value', JSON.stringify(schema));
   */
  async registerAvroVersion(registryName: string, schemaName: string, definition: string): Promise<string> {
    try {
      await this.ignoreExisting(() => this.client.send(new CreateRegistryCommand({ RegistryName: registryName })));
      const schemaId = { RegistryName: registryName, SchemaName: schemaName };
      const created = await this.ignoreExisting(() =>
        this.client.send(
          new CreateSchemaCommand({ RegistryId: { RegistryName: registryName }, SchemaName: schemaName, DataFormat: 'AVRO', Compatibility: 'BACKWARD', SchemaDefinition: definition }),
        ),
      );
      if (created?.SchemaVersionId !== undefined) return created.SchemaVersionId;
      try {
        const existing = await this.client.send(new GetSchemaByDefinitionCommand({ SchemaId: schemaId, SchemaDefinition: definition }));
        if (existing.SchemaVersionId !== undefined) return existing.SchemaVersionId;
      } catch (error) {
        if ((error as { name?: string }).name !== 'EntityNotFoundException') throw error;
      }
      const registered = await this.client.send(new RegisterSchemaVersionCommand({ SchemaId: schemaId, SchemaDefinition: definition }));
      if (registered.SchemaVersionId === undefined) throw new Error('Glue returned no SchemaVersionId');
      return registered.SchemaVersionId;
    } catch (error) {
      throw asDependencyError('Glue', `registering a version of ${registryName}/${schemaName}`, error);
    }
  }

  private async ignoreExisting<T>(call: () => Promise<T>): Promise<T | undefined> {
    try {
      return await call();
    } catch (error) {
      if (error instanceof AlreadyExistsException || (error as { name?: string }).name === 'AlreadyExistsException') return undefined;
      throw error;
    }
  }
}
