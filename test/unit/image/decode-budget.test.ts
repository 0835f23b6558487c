/**
 * Fault 3 of issue 12: decoded memory, not pixels. An image whose decode needs more than the
 * budget is refused from its header, before decoding, with a message saying why; decodes that
 * fit wait for their share, so the memory of concurrent decodes stays within the budget.
 */
import { DecodeBudgetError } from '../../../core/errors';
import { DecodeBudget, estimateDecodeBytes, inspectImage, processDecodeBudget, processImage } from '../../../core/image';
import { makeDeepPngHeader, makeGifBomb, makeJpeg, makePng } from '../../helpers/images';

const MiB = 1024 * 1024;

describe('decode memory budget', () => {
  const overBudget: [string, () => Promise<Buffer> | Buffer, RegExp][] = [
    ['the reported 10000×10000 GIF of a few dozen bytes', () => makeGifBomb({ width: 10_000, height: 10_000 }), /GIF image \(10000×10000, 8-bit samples\) needs about \d+ MiB of memory; the decode memory limit is 256 MiB/],
    ['a 9000×9000 GIF (81 MP, under the pixel limit)', () => makeGifBomb({ width: 9000, height: 9000 }), /GIF image \(9000×9000/],
    ['a 9000×9000 16-bit RGBA PNG header', () => makeDeepPngHeader({ width: 9000, height: 9000 }), /PNG image \(9000×9000, 16-bit samples\)/],
    ['a 6000×6000 16-bit RGBA PNG header', () => makeDeepPngHeader({ width: 6000, height: 6000 }), /PNG image \(6000×6000, 16-bit samples\)/],
  ];

  it.each(overBudget)('refuses %s before decoding, as inspection and as processing', async (_name, make, message) => {
    const bytes = await make();
    expect(bytes.length).toBeLessThan(200);
    for (const run of [() => inspectImage(bytes), () => processImage(bytes)]) {
      const error = await run().then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(DecodeBudgetError);
      expect((error as DecodeBudgetError).code).toBe('DECODE_MEMORY_EXCEEDED');
      expect((error as Error).message).toMatch(message);
    }
  });

  it('follows the configured budget: a smaller budget refuses what the default accepts', async () => {
    const png = await makePng({ width: 2000, height: 1500 });
    await expect(inspectImage(png)).resolves.toMatchObject({ width: 2000, height: 1500 });
    await expect(inspectImage(png, { maxDecodeBytes: 20 * MiB })).rejects.toBeInstanceOf(DecodeBudgetError);
  });

  it('counts bands and bytes per sample, not pixels', () => {
    const base = { width: 4000, height: 3000, intermediatePixels: 0 };
    const grey = estimateDecodeBytes({ ...base, format: 'png', channels: 1 });
    const rgba = estimateDecodeBytes({ ...base, format: 'png', channels: 4 });
    const deep = estimateDecodeBytes({ ...base, format: 'png', channels: 4, depth: 'ushort' });
    const gif = estimateDecodeBytes({ ...base, format: 'gif', channels: 3 });
    expect(rgba - grey).toBe(12_000_000 * 3);
    expect(deep - rgba).toBe(12_000_000 * 4);
    expect(gif).toBe(rgba); // GIF always decodes to RGBA
  });

  it('runs decodes concurrently only while their reservations fit the budget, first come first served', async () => {
    const budget = new DecodeBudget(100);
    const order: string[] = [];
    const releaseA = await budget.reserve(60);
    const b = budget.reserve(50).then((release) => (order.push('b'), release));
    const c = budget.reserve(30).then((release) => (order.push('c'), release));
    await Promise.resolve();
    // c would fit beside a, but waits behind b: a large decode is not starved by small ones.
    expect(order).toEqual([]);
    expect(budget.reservedBytes).toBe(60);
    releaseA();
    const releaseB = await b;
    const releaseC = await c;
    expect(order).toEqual(['b', 'c']);
    expect(budget.reservedBytes).toBe(80);
    releaseB();
    releaseB(); // idempotent
    releaseC();
    expect(budget.reservedBytes).toBe(0);
  });

  it('keeps concurrent processImage calls within the process budget and releases it after each', async () => {
    const jpeg = await makeJpeg({ width: 800, height: 600 });
    const limit = 40 * MiB; // room for two of these decodes at a time (~19 MiB each)
    const budget = processDecodeBudget(limit);
    const reserve = budget.reserve.bind(budget);
    let peak = 0;
    budget.reserve = async (bytes: number) => {
      const release = await reserve(bytes);
      peak = Math.max(peak, budget.reservedBytes);
      return release;
    };

    const results = await Promise.all(Array.from({ length: 4 }, () => processImage(jpeg, { maxDecodeBytes: limit })));

    expect(results.map((r) => r.info.width)).toEqual([800, 800, 800, 800]);
    expect(peak).toBeGreaterThan(0);
    expect(peak).toBeLessThanOrEqual(limit);
    expect(budget.reservedBytes).toBe(0);
  });
});
