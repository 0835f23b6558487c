/**
 * A pre-pass over an Avro binary body, driven by the writer's schema, that checks every length
 * and block count against the bytes left before any decoder loops over them.
 *
 * Why: avsc trusts declared counts. A map block declaring 300,000,000 entries in a 59-byte
 * message makes it loop 300 million times (seconds of a frozen event loop), and a count near
 * 2^50 never returns. This walk reads each length, count and union index once, refuses any that
 * the remaining bytes cannot hold, and so bounds the work of decoding one record by its size.
 * Rules from the Avro 1.11 specification, "Binary Encoding": zig-zag varint int/long (at most
 * 5 / 10 bytes), length-prefixed bytes/string, fixed of the schema's size, blocks of arrays and
 * maps (a negative count is followed by the block's byte size), unions as a branch index.
 */
import type { Type } from 'avsc';
import { SchemaDecodeError } from '../core/errors';
import { DEAD_LETTER_REASONS } from '../core/constants';

/**
 * The `reason`s of the {@link SchemaDecodeError}s this pre-pass raises, the same the decoder
 * uses: `truncated` when a length or count needs more bytes than are left, `invalid-body` when
 * a value cannot be right whatever follows (negative length, union or enum index out of range,
 * over-long varint, nesting too deep).
 */
export const BODY_BOUNDS_REASONS = { short: DEAD_LETTER_REASONS.truncated, invalid: DEAD_LETTER_REASONS.invalidBody } as const;

type BoundsReason = (typeof BODY_BOUNDS_REASONS)[keyof typeof BODY_BOUNDS_REASONS];

/**
 * Deepest nesting the walk follows (records, arrays, maps, unions). Recursive schemas could
 * otherwise exhaust the stack on a body of nested one-byte unions.
 */
export const MAX_NESTING_DEPTH = 64;

/** Items of zero encoded size (e.g. `array<null>`) cost no bytes: allow a few per byte of body, no more. */
const ITEMS_PER_BYTE = 8;
const ITEMS_SLACK = 64;

const MAX_VARINT_BYTES = { int: 5, long: 10 } as const;

/** What the walk needs to know of an avsc type, read through its public properties. */
interface TypeView {
  readonly typeName: string;
  readonly fields?: readonly { readonly name: string; readonly type: Type }[];
  readonly itemsType?: Type;
  readonly valuesType?: Type;
  readonly types?: readonly Type[];
  readonly size?: number;
  readonly symbols?: readonly string[];
  readonly underlyingType?: Type;
}

class BoundsWalker {
  private offset: number;
  /** Items every array/map block may still declare, in proportion to the body, so zero-size items stay bounded too. */
  private itemBudget: number;
  private readonly minSizes = new Map<Type, number>();

  constructor(
    private readonly body: Uint8Array,
    start: number,
  ) {
    this.offset = start;
    this.itemBudget = ITEMS_PER_BYTE * (body.length - start) + ITEMS_SLACK;
  }

  get position(): number {
    return this.offset;
  }

  private remaining(): number {
    return this.body.length - this.offset;
  }

  private fail(path: string, message: string, reason: BoundsReason = BODY_BOUNDS_REASONS.invalid): never {
    throw new SchemaDecodeError(reason, `At byte ${this.offset} of the message, ${path || 'the value'} ${message}`, {
      context: { parameter: path || 'value' },
    });
  }

  /** A zig-zag varint as a Number (exact up to 2^53; anything larger is refused by every bound anyway). */
  private readVarint(path: string, kind: 'int' | 'long'): number {
    let result = 0;
    let multiplier = 1;
    for (let i = 0; i < MAX_VARINT_BYTES[kind]; i++) {
      if (this.offset >= this.body.length) this.fail(path, `needs more bytes than the message has (a ${kind} is cut short)`, BODY_BOUNDS_REASONS.short);
      const byte = this.body[this.offset++] as number;
      result += (byte & 0x7f) * multiplier;
      if ((byte & 0x80) === 0) return result % 2 === 0 ? result / 2 : -(result + 1) / 2;
      multiplier *= 128;
    }
    return this.fail(path, `is a ${kind} longer than ${MAX_VARINT_BYTES[kind]} bytes`);
  }

  private skip(path: string, bytes: number, what: string): void {
    if (bytes > this.remaining()) this.fail(path, `declares ${what} of ${bytes} bytes but only ${this.remaining()} remain`, BODY_BOUNDS_REASONS.short);
    this.offset += bytes;
  }

  /** Smallest number of bytes any value of the type takes; 0 on a recursive cycle (conservative). */
  private minSize(type: Type, seen: Set<Type> = new Set()): number {
    const known = this.minSizes.get(type);
    if (known !== undefined) return known;
    if (seen.has(type)) return 0;
    seen.add(type);
    const view = type as unknown as TypeView;
    let size: number;
    switch (view.typeName) {
      case 'null':
        size = 0;
        break;
      case 'float':
        size = 4;
        break;
      case 'double':
        size = 8;
        break;
      case 'fixed':
        size = view.size ?? 0;
        break;
      case 'record':
      case 'error':
        size = (view.fields ?? []).reduce((sum, field) => sum + this.minSize(field.type, seen), 0);
        break;
      default:
        if (view.underlyingType !== undefined) size = this.minSize(view.underlyingType, seen);
        // boolean, int, long, bytes, string, enum, array, map, union: at least one byte.
        else size = 1;
    }
    seen.delete(type);
    this.minSizes.set(type, size);
    return size;
  }

  walk(type: Type, path: string, depth: number): void {
    if (depth > MAX_NESTING_DEPTH) this.fail(path, `nests deeper than ${MAX_NESTING_DEPTH} levels`);
    const view = type as unknown as TypeView;
    switch (view.typeName) {
      case 'null':
        return;
      case 'boolean':
        return this.skip(path, 1, 'a boolean');
      case 'int':
      case 'long':
        this.readVarint(path, view.typeName);
        return;
      case 'float':
        return this.skip(path, 4, 'a float');
      case 'double':
        return this.skip(path, 8, 'a double');
      case 'bytes':
      case 'string': {
        const length = this.readVarint(path, 'long');
        if (length < 0) this.fail(path, `declares a negative length (${length})`);
        return this.skip(path, length, `a ${view.typeName} length`);
      }
      case 'fixed':
        return this.skip(path, view.size ?? 0, 'a fixed value');
      case 'enum': {
        const index = this.readVarint(path, 'int');
        const count = view.symbols?.length ?? 0;
        if (index < 0 || index >= count) this.fail(path, `names enum symbol ${index} of ${count}`);
        return;
      }
      case 'record':
      case 'error':
        for (const field of view.fields ?? []) this.walk(field.type, path ? `${path}.${field.name}` : field.name, depth + 1);
        return;
      case 'array':
        return this.walkBlocks(path, depth, view.itemsType as Type, undefined);
      case 'map':
        return this.walkBlocks(path, depth, view.valuesType as Type, true);
      case 'union:wrapped':
      case 'union:unwrapped': {
        const branches = view.types ?? [];
        const index = this.readVarint(path, 'long');
        if (index < 0 || index >= branches.length) this.fail(path, `names union branch ${index} of ${branches.length}`);
        return this.walk(branches[index] as Type, path, depth + 1);
      }
      default:
        if (view.underlyingType !== undefined) return this.walk(view.underlyingType, path, depth);
        // A type this walk does not know would go unchecked: refuse rather than trust avsc with it.
        return this.fail(path, `has Avro type ${view.typeName}, which the bounds check does not know`);
    }
  }

  private walkBlocks(path: string, depth: number, itemType: Type, keyed: true | undefined): void {
    const itemMin = this.minSize(itemType) + (keyed ? 1 : 0);
    for (;;) {
      let count = this.readVarint(path, 'long');
      if (count === 0) return;
      if (count < 0) {
        count = -count;
        const blockBytes = this.readVarint(path, 'long');
        if (blockBytes < 0) this.fail(path, `declares a block of negative size (${blockBytes})`);
        if (blockBytes > this.remaining()) this.fail(path, `declares a block of ${blockBytes} bytes but only ${this.remaining()} remain`, BODY_BOUNDS_REASONS.short);
      }
      const left = this.remaining();
      if (count * itemMin > left || count > this.itemBudget) {
        this.fail(path, `declares ${count} entries but only ${left} bytes remain`, BODY_BOUNDS_REASONS.short);
      }
      this.itemBudget -= count;
      for (let i = 0; i < count; i++) {
        if (keyed) {
          const length = this.readVarint(`${path}{key}`, 'long');
          if (length < 0) this.fail(`${path}{key}`, `declares a negative length (${length})`);
          this.skip(`${path}{key}`, length, 'a map key length');
        }
        this.walk(itemType, `${path}[${i}]`, depth + 1);
      }
    }
  }
}

/**
 * Checks that the Avro body starting at `start` can hold every length and count it declares
 * when read with `writerType`, in time and memory proportional to its size. Call it before
 * handing the body to avsc. Trailing bytes are left to the decoder to report.
 *
 * @returns the offset just past the value.
 * @throws SchemaDecodeError with reason `truncated` when a length or block count needs more
 *   bytes than are left, or `invalid-body` when a length is negative, a union or enum index is
 *   out of range, a varint is over-long or the value nests deeper than {@link MAX_NESTING_DEPTH}.
 * @example
 * assertBodyBounds(writer.type, message, 10);
 * const { value } = readerType.decode(message, 10, resolver);
 */
export function assertBodyBounds(writerType: Type, message: Uint8Array, start: number): number {
  const walker = new BoundsWalker(message, start);
  walker.walk(writerType, '', 0);
  return walker.position;
}
