/**
 * Decode memory: what decoding an image needs (pixels × bands × bytes per sample, plus what the
 * pipeline holds besides), checked before decoding, and a process-wide budget that bounds the
 * decodes running at once by the memory they need rather than by their number.
 *
 * Why not pixels alone: a 10000×10000 GIF is 100 megapixels, within a 100 MP limit, yet libvips
 * decodes every GIF frame as RGBA, 400 MB; four at once took a 1024 MB Lambda to 3 GB.
 */
import { DecodeBudgetError } from '../errors';
import { FORMAT_DETAILS, type ImageFormat } from './formats';

/** Bytes per sample of each libvips band format (`metadata().depth`). */
export const BYTES_PER_SAMPLE: Readonly<Record<string, number>> = {
  uchar: 1,
  char: 1,
  ushort: 2,
  short: 2,
  uint: 4,
  int: 4,
  float: 4,
  complex: 8,
  double: 8,
  dpcomplex: 16,
} as const;

/**
 * What the pipeline holds besides the decoded frame: the raw sRGB intermediate every variant is
 * cut from (at most 4 bands of 8 bits), encoder buffers and libvips' working set, measured on a
 * 6000×4000 JPEG at ~12 MiB, rounded up.
 */
export const DECODER_OVERHEAD_BYTES = 16 * 1024 * 1024;

/** The default decode budget of a process: leaves a 1024 MB Lambda room for Node, buffers and the AWS SDK. */
export const DEFAULT_DECODE_BUDGET_BYTES = 256 * 1024 * 1024;

/** What the estimate needs of an image's header. */
export interface DecodeShape {
  format: ImageFormat;
  width: number;
  height: number;
  /** Bands the decoder produces; libvips reports them in `metadata().channels`. */
  channels: number;
  /** libvips band format, e.g. `uchar`, `ushort`. @default 'uchar' */
  depth?: string;
  /** Pixels of the intermediate the variants are cut from. @default width × height */
  intermediatePixels?: number;
}

/**
 * Bytes decoding an image is expected to need: the decoded first frame at full size
 * (pixels × bands × bytes per sample; GIF and BMP always decode to 4 bands), the 8-bit RGBA
 * intermediate, and {@link DECODER_OVERHEAD_BYTES}.
 *
 * @example
 * estimateDecodeBytes({ format: 'gif', width: 10000, height: 10000, channels: 3 }) // ≈ 816 MiB
 */
export function estimateDecodeBytes(shape: DecodeShape): number {
  const pixels = shape.width * shape.height;
  const bands = shape.format === 'gif' || shape.format === 'bmp' ? 4 : Math.max(1, shape.channels);
  const sampleBytes = BYTES_PER_SAMPLE[shape.depth ?? 'uchar'] ?? 8;
  const intermediate = Math.min(pixels, shape.intermediatePixels ?? pixels) * 4;
  return pixels * bands * sampleBytes + intermediate + DECODER_OVERHEAD_BYTES;
}

function mebibytes(bytes: number): string {
  return `${Math.ceil(bytes / (1024 * 1024))} MiB`;
}

/**
 * Refuses an image whose decode would need more than `budgetBytes`, before any pixel is decoded.
 *
 * @returns the estimate, to reserve from the process budget.
 * @throws DecodeBudgetError saying the dimensions, the estimate and the budget.
 */
export function assertDecodeBudget(shape: DecodeShape, budgetBytes: number): number {
  const estimate = estimateDecodeBytes(shape);
  if (estimate > budgetBytes) {
    const bits = (BYTES_PER_SAMPLE[shape.depth ?? 'uchar'] ?? 8) * 8;
    throw new DecodeBudgetError(
      estimate,
      `Decoding the ${FORMAT_DETAILS[shape.format].label} image (${shape.width}×${shape.height}, ${bits}-bit samples) needs about ${mebibytes(estimate)} of memory; the decode memory limit is ${mebibytes(budgetBytes)}`,
    );
  }
  return estimate;
}

/**
 * A weighted semaphore over decode memory: each decode reserves its estimate, and waits (first
 * come, first served) while the reservations of running decodes leave too little.
 */
export class DecodeBudget {
  private used = 0;
  private readonly waiting: { bytes: number; start: () => void }[] = [];

  /** @param capacityBytes the memory all decodes of this process may need at once. */
  constructor(readonly capacityBytes: number) {}

  /** Bytes reserved by decodes running now. */
  get reservedBytes(): number {
    return this.used;
  }

  /**
   * Waits until `bytes` fit, reserves them and returns the release function (idempotent).
   * A reservation larger than the capacity waits for an idle process, then runs alone.
   */
  async reserve(bytes: number): Promise<() => void> {
    const amount = Math.min(bytes, this.capacityBytes);
    if (this.waiting.length > 0 || this.used + amount > this.capacityBytes) {
      await new Promise<void>((start) => this.waiting.push({ bytes: amount, start }));
    } else {
      this.used += amount;
    }
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.used -= amount;
      this.wake();
    };
  }

  private wake(): void {
    for (let next = this.waiting[0]; next !== undefined && this.used + next.bytes <= this.capacityBytes; next = this.waiting[0]) {
      this.waiting.shift();
      this.used += next.bytes;
      next.start();
    }
  }
}

const budgets = new Map<number, DecodeBudget>();

/**
 * The process-wide {@link DecodeBudget} of a capacity: every caller with the same limit shares it.
 *
 * @example
 * const release = await processDecodeBudget(config.limits.maxDecodeBytes).reserve(estimate);
 */
export function processDecodeBudget(capacityBytes: number): DecodeBudget {
  let budget = budgets.get(capacityBytes);
  if (budget === undefined) {
    budget = new DecodeBudget(capacityBytes);
    budgets.set(capacityBytes, budget);
  }
  return budget;
}
