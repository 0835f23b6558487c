/**
 * Logical types avsc does not ship, registered on every type the registry builds so that
 * writer and reader types agree on value representations.
 */
import { Type, types } from 'avsc';

/**
 * `timestamp-millis` on a `long`, surfaced as a `Date`. avsc 5.7 has no built-in logical types,
 * so without this `occurredAt` would decode as a bare number.
 */
class TimestampMillisType extends types.LogicalType {
  protected override _fromValue(value: number | Date): Date {
    // A resolver hands over the writer's value: a Date when the writer also used this type.
    return value instanceof Date ? value : new Date(value);
  }

  protected override _toValue(value: unknown): number | undefined {
    // `undefined` is avsc's signal for "not a valid value" (isValid false, toBuffer throws).
    if (value instanceof Date) {
      const millis = value.getTime();
      return Number.isNaN(millis) ? undefined : millis;
    }
    return undefined;
  }

  protected override _resolve(writer: Type): ((value: number | Date) => Date) | undefined {
    // Readable from any writer that carries epoch milliseconds: the same logical type or a plain long.
    if (Type.isType(writer, 'long', 'logical:timestamp-millis')) return (value) => this._fromValue(value);
    return undefined;
  }
}

/** The `logicalTypes` option for `Type.forSchema`. */
export const LOGICAL_TYPES = { 'timestamp-millis': TimestampMillisType } as const;
