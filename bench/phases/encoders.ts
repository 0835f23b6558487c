/**
 * Phase `encoders`, the encoder-settings study: for each variant and candidate setting (WebP
 * effort and alpha quality; JPEG chroma subsampling, trellis, mozjpeg; the intermediate's resize
 * kernel and shrink-on-load), the CPU ms, output bytes and SSIM against a full-quality resize of
 * the original. One factor changes at a time from sharp's defaults; per group, the pick is the
 * cheapest candidate on the Pareto front (CPU ↓, bytes ↓, SSIM ↑) within the byte and SSIM
 * budgets. Then the real renderer runs with today's and the chosen settings on both corpora.
 *
 * CPU is `process.cpuUsage()` around one awaited sharp call in this otherwise idle process
 * (every libvips thread included): CPU time, not wall time, so other people's load on a shared
 * machine slows it down without inflating it much. Medians of the repeats, with min–max.
 */
import sharp from 'sharp';
import { ssim } from 'ssim.js';
import { SHARP_DEFAULT_ENCODING, type EncoderSettings } from '../../core/config';
import type { VariantSpec } from '../../core/image/variants';
import { inspectImage, intermediateResizeOptions, jpegOptions, renderVariants, webpOptions, type ImageInfo } from '../../core/image';
import { insideSize, intermediateSize } from '../../core/image/render';
import { percentile } from '../measure';

/** Budgets of the study, relative to today's settings (issue 17). */
export const ENCODER_TARGETS = {
  /** CPU per image, chosen ÷ today, on the real-photo corpus. */
  cpuRatio: 0.6,
  /** Total variant bytes, chosen ÷ today. */
  bytesRatio: 1.03,
  /** Mean SSIM, chosen − today. */
  ssimDelta: -0.002,
  /**
   * The CPU noise band: a candidate counts as cheaper only when its slowest repeat is this much
   * under today's fastest. Measured with a control: `fastShrinkOnLoad: false` gives byte-identical
   * output on the study photos, yet its decode CPU came out −15 % and +5 % against today's in
   * two runs on the shared 2-core machine.
   */
  minCpuSaving: 0.15,
} as const;

/** One image of the study. */
export interface StudyImage {
  name: string;
  bytes: Buffer;
}

/** Options of {@link measureEncoders}. */
export interface EncoderStudyOptions {
  /** Real photos to study (the settings are picked on these). */
  photos: StudyImage[];
  /** Synthetic images: only the before/after check runs on them. */
  synthetic: StudyImage[];
  variants: readonly VariantSpec[];
  /** Timed runs of each measurement; the median is reported. @default 3 */
  repeats: number;
  log(line: string): void;
}

type Group = 'decode' | 'jpeg' | 'webp';

/** One candidate setting of one group, measured on every study image. */
export interface CandidateRow {
  group: Group;
  candidate: string;
  /** What the candidate changes from today's settings. */
  change: Partial<EncoderSettings>;
  /** SSIM scores behind {@link ssim}: variants the group touches × images it ran on. */
  scores: number;
  /** Median over repeats of the group's CPU ms summed over the images, and min–max. */
  cpuMs: { median: number; min: number; max: number };
  /** Per variant the group touches: median CPU ms (encode groups), bytes and mean SSIM. */
  variants: Record<string, { cpuMs?: number; bytes: number; ssim: number }>;
  bytes: number;
  ssim: number;
  pareto: boolean;
  chosen: boolean;
}

/** One combination of a candidate per group, estimated from the group measurements. */
export interface Combination {
  candidates: string[];
  settings: EncoderSettings;
  /** Estimated CPU ms, bytes and mean SSIM over the study photos (today's plus each group's change). */
  cpuMs: number;
  bytes: number;
  ssim: number;
  withinBudget: boolean;
  pareto: boolean;
}

/** Today's and the chosen settings through the real renderer, on one corpus. */
export interface BeforeAfter {
  corpus: 'real' | 'synthetic';
  images: number;
  before: { cpuMsPerImage: number; cpuSpread: [number, number]; bytes: number; ssim: number };
  after: { cpuMsPerImage: number; cpuSpread: [number, number]; bytes: number; ssim: number };
  cpuRatio: number;
  bytesRatio: number;
  ssimDelta: number;
}

/** Everything the study found. */
export interface EncoderStudyResult {
  today: EncoderSettings;
  chosen: EncoderSettings;
  rows: CandidateRow[];
  /** Today's estimate first, then the Pareto front of every combination, cheapest first. */
  front: Combination[];
  beforeAfter: BeforeAfter[];
  repeats: number;
  photos: string[];
}

interface Candidate {
  group: Group;
  name: string;
  settings: EncoderSettings;
}

/** Candidates, one factor changed from `base` at a time; the first of each group is `base`. */
function candidates(base: EncoderSettings): Candidate[] {
  const c = (group: Group, name: string, change: Partial<EncoderSettings>): Candidate => ({ group, name, settings: { ...base, ...change } });
  return [
    c('decode', `kernel ${base.resizeKernel}, fast shrink-on-load (today)`, {}),
    ...(['lanczos2', 'mks2013', 'mitchell', 'cubic', 'linear'] as const).map((k) => c('decode', `kernel ${k}`, { resizeKernel: k })),
    c('decode', 'shrink-on-load not fast (keeps 2× for the kernel)', { fastShrinkOnLoad: false }),
    c('jpeg', `chroma ${base.jpegChromaSubsampling} (today)`, {}),
    c('jpeg', 'chroma 4:4:4', { jpegChromaSubsampling: '4:4:4' }),
    c('jpeg', 'trellis quantisation', { jpegTrellisQuantisation: true }),
    c('jpeg', 'mozjpeg preset', { jpegMozjpeg: true }),
    // Effort × alpha quality in one group: on images with alpha the two share one encode, so
    // their savings do not add up. Without alpha, alpha quality changes nothing and is not re-run.
    c('webp', `effort ${base.webpEffort}, alpha quality ${base.webpAlphaQuality} (today)`, {}),
    ...[4, 3, 2, 1, 0].flatMap((effort) =>
      [100, 90, 60]
        .filter((q) => effort !== base.webpEffort || q !== base.webpAlphaQuality)
        .map((q) => c('webp', `effort ${effort}, alpha quality ${q}`, { webpEffort: effort, webpAlphaQuality: q })),
    ),
  ];
}

/** CPU ms (user + system, every thread of this process) spent in `work`. */
async function cpuMs<T>(work: () => Promise<T>): Promise<{ ms: number; value: T }> {
  // Garbage from the previous step (SSIM arrays) is collected now, not inside the measurement.
  (globalThis as { gc?: () => void }).gc?.();
  const start = process.cpuUsage();
  const value = await work();
  const used = process.cpuUsage(start);
  return { ms: (used.user + used.system) / 1000, value };
}

type Raw = { data: Buffer; info: sharp.OutputInfo };

/** The renderer's decode to the intermediate (core/image/render.ts), with `settings`. */
function decodeIntermediate(bytes: Buffer, info: ImageInfo, specs: readonly VariantSpec[], settings: EncoderSettings): Promise<Raw> {
  const target = intermediateSize(info.width, info.height, specs);
  let pipeline = sharp(bytes, { failOn: 'error' }).autoOrient();
  if (!info.hasAlpha) pipeline = pipeline.removeAlpha();
  if (target.width !== info.width || target.height !== info.height) {
    pipeline = pipeline.resize({ width: target.width, height: target.height, fit: 'fill', ...intermediateResizeOptions(settings) });
  }
  return pipeline.toColourspace('srgb').raw({ depth: 'uchar' }).toBuffer({ resolveWithObject: true });
}

/** The renderer's encode of one variant from the intermediate (core/image/render.ts). */
function encodeVariant(intermediate: Raw, info: ImageInfo, spec: VariantSpec, settings: EncoderSettings): Promise<Buffer> {
  const { width, height, channels } = intermediate.info;
  let pipeline = sharp(intermediate.data, { raw: { width, height, channels: channels as 3 | 4 } });
  if (spec.fit === 'inside') {
    const target = insideSize(info.width, info.height, spec);
    if (target.width !== width || target.height !== height) pipeline = pipeline.resize({ ...target, fit: 'fill' });
  } else {
    pipeline = pipeline.resize({ width: spec.width, height: spec.height, fit: 'cover', position: 'centre', withoutEnlargement: true });
  }
  return spec.format === 'jpeg'
    ? pipeline.flatten({ background: '#ffffff' }).jpeg(jpegOptions(spec.quality, settings)).toBuffer()
    : pipeline.webp(webpOptions(spec.quality, settings)).toBuffer();
}

/** RGBA pixels of an image composited onto `background`, at `size` when given. */
async function composite(input: sharp.Sharp, background: string, size?: { width: number; height: number }): Promise<Raw> {
  let pipeline = input.flatten({ background });
  if (size !== undefined) pipeline = pipeline.resize({ ...size, fit: 'fill', kernel: 'lanczos3' });
  return pipeline.ensureAlpha().raw().toBuffer({ resolveWithObject: true });
}

/** The full-quality reference of one variant: the original resized straight to the variant's box. */
interface Reference {
  spec: VariantSpec;
  /** Composited onto white (and black for images with alpha, so the alpha plane counts). */
  onWhite: Raw;
  onBlack?: Raw;
}

async function reference(bytes: Buffer, info: ImageInfo, spec: VariantSpec): Promise<Reference> {
  const resized = await sharp(bytes)
    .autoOrient()
    .resize({ width: spec.width, height: spec.height, fit: spec.fit, position: 'centre', withoutEnlargement: true, kernel: 'lanczos3', fastShrinkOnLoad: false })
    .toColourspace('srgb')
    .png({ compressionLevel: 0 })
    .toBuffer();
  const alpha = info.hasAlpha && spec.format === 'webp';
  return {
    spec,
    onWhite: await composite(sharp(resized), '#ffffff'),
    onBlack: alpha ? await composite(sharp(resized), '#000000') : undefined,
  };
}

function ssimOf(a: Raw, b: Raw): number {
  const image = (r: Raw) => ({ data: new Uint8ClampedArray(r.data.buffer, r.data.byteOffset, r.data.length), width: r.info.width, height: r.info.height });
  // Full resolution: ssim.js would otherwise downsample to 256 px, blind to what encoders change.
  return ssim(image(a), image(b), { ssim: 'weber', downsample: false }).mssim;
}

/** SSIM of an encoded variant against its reference; with alpha, the worse of white and black. */
async function score(encoded: Buffer, ref: Reference): Promise<number> {
  const size = { width: ref.onWhite.info.width, height: ref.onWhite.info.height };
  const meta = await sharp(encoded).metadata();
  // Same arithmetic gives the same size; a cover crop of a tiny image may differ by a pixel.
  const fit = meta.width === size.width && meta.height === size.height ? undefined : size;
  const white = ssimOf(await composite(sharp(encoded), '#ffffff', fit), ref.onWhite);
  if (ref.onBlack === undefined) return white;
  return Math.min(white, ssimOf(await composite(sharp(encoded), '#000000', fit), ref.onBlack));
}

interface Prepared {
  name: string;
  bytes: Buffer;
  info: ImageInfo;
  references: Reference[];
}

async function prepare(images: StudyImage[], specs: readonly VariantSpec[]): Promise<Prepared[]> {
  const out: Prepared[] = [];
  for (const image of images) {
    // The study renders what is given; the 10 MiB upload limit is the pipeline's, not the codec's.
    const info = await inspectImage(image.bytes, { maxImageBytes: image.bytes.length });
    const references = [];
    for (const spec of specs) references.push(await reference(image.bytes, info, spec));
    out.push({ name: image.name, bytes: image.bytes, info, references });
  }
  return out;
}

function median(values: number[]): number {
  return percentile(values, 50);
}

/** Which variants a group's setting changes. */
function touches(group: Group, spec: VariantSpec): boolean {
  if (group === 'decode') return true;
  if (group === 'jpeg') return spec.format === 'jpeg';
  return spec.format === 'webp';
}

async function measureGroup(group: Group, list: Candidate[], images: Prepared[], specs: readonly VariantSpec[], repeats: number): Promise<CandidateRow[]> {
  const used = specs.filter((s) => touches(group, s));
  const subjects = images;
  // Alpha quality only matters where there is alpha: elsewhere a candidate reuses the twin it equals.
  const effective = (settings: EncoderSettings, image: Prepared): string => JSON.stringify(image.info.hasAlpha ? settings : { ...settings, webpAlphaQuality: 100 });
  const timed = new Map<string, number>();
  const scored = new Map<string, { bytes: number; ssim: number }>();
  if (subjects.length === 0 || used.length === 0) return [];
  const base = list[0] as Candidate;
  // Encode groups start from today's intermediate; only the decode group varies it.
  const baseIntermediates = group === 'decode' ? [] : await Promise.all(subjects.map((i) => decodeIntermediate(i.bytes, i.info, specs, base.settings)));
  const cpu = list.map(() => used.map(() => [] as number[][]));
  const decodeCpu = list.map(() => [] as number[]);
  for (let r = 0; r < repeats; r++) {
    // Candidates interleaved within a repeat, so drifting machine load hits them all alike.
    for (const [c, candidate] of list.entries()) {
      if (group === 'decode') {
        let total = 0;
        for (const image of subjects) total += (await cpuMs(() => decodeIntermediate(image.bytes, image.info, specs, candidate.settings))).ms;
        decodeCpu[c]?.push(total);
        continue;
      }
      for (const [v, spec] of used.entries()) {
        const perImage: number[] = [];
        for (const [i, image] of subjects.entries()) {
          const key = `${r}|${v}|${i}|${effective(candidate.settings, image)}`;
          const known = timed.get(key);
          const ms = known ?? (await cpuMs(() => encodeVariant(baseIntermediates[i] as Raw, image.info, spec, candidate.settings))).ms;
          timed.set(key, ms);
          perImage.push(ms);
        }
        cpu[c]?.[v]?.push(perImage);
      }
    }
  }
  const rows: CandidateRow[] = [];
  for (const [c, candidate] of list.entries()) {
    // Quality is deterministic: measured once per candidate, outside the timed runs.
    const sums = used.map(() => ({ bytes: 0, ssim: 0 }));
    for (const [i, image] of subjects.entries()) {
      const intermediate = group === 'decode' ? await decodeIntermediate(image.bytes, image.info, specs, candidate.settings) : (baseIntermediates[i] as Raw);
      for (const [v, spec] of used.entries()) {
        const key = `${v}|${i}|${effective(candidate.settings, image)}`;
        let result = scored.get(key);
        if (result === undefined) {
          const encoded = await encodeVariant(intermediate, image.info, spec, candidate.settings);
          result = { bytes: encoded.length, ssim: await score(encoded, image.references[specs.indexOf(spec)] as Reference) };
          scored.set(key, result);
        }
        const sum = sums[v] as { bytes: number; ssim: number };
        sum.bytes += result.bytes;
        sum.ssim += result.ssim;
      }
    }
    const variants: CandidateRow['variants'] = {};
    for (const [v, spec] of used.entries()) {
      const runs = (cpu[c]?.[v] ?? []).map((perImage) => perImage.reduce((a, b) => a + b, 0));
      const sum = sums[v] as { bytes: number; ssim: number };
      variants[spec.name] = { cpuMs: group === 'decode' ? undefined : median(runs), bytes: sum.bytes, ssim: sum.ssim / subjects.length };
    }
    const totals = group === 'decode' ? (decodeCpu[c] ?? []) : Array.from({ length: repeats }, (_, r) => used.reduce((sum, _s, v) => sum + (cpu[c]?.[v]?.[r] ?? []).reduce((a, b) => a + b, 0), 0));
    const all = Object.values(variants);
    rows.push({
      group,
      candidate: candidate.name,
      change: diff(candidate.settings, base.settings),
      scores: used.length * subjects.length,
      cpuMs: { median: median(totals), min: Math.min(...totals), max: Math.max(...totals) },
      variants,
      bytes: all.reduce((sum, x) => sum + x.bytes, 0),
      ssim: all.reduce((sum, x) => sum + x.ssim, 0) / all.length,
      pareto: false,
      chosen: false,
    });
  }
  markPareto(rows);
  return rows;
}

/** Marks rows no other row beats on all of CPU (lower), bytes (lower) and SSIM (higher). */
export function markPareto(rows: CandidateRow[]): void {
  for (const row of rows) {
    row.pareto = !rows.some(
      (other) =>
        other !== row &&
        other.cpuMs.median <= row.cpuMs.median &&
        other.bytes <= row.bytes &&
        other.ssim >= row.ssim &&
        (other.cpuMs.median < row.cpuMs.median || other.bytes < row.bytes || other.ssim > row.ssim),
    );
  }
}

/**
 * Whether a candidate differs from today's row (the group's first) by more than noise: its
 * slowest repeat beats today's fastest, or it saves ≥ 0.5 % bytes, or it gains ≥ 0.0005 SSIM.
 * Identical output at a CPU inside the noise band never replaces today's setting.
 */
export function beatsNoise(row: CandidateRow, today: CandidateRow): boolean {
  if (row === today) return true;
  return row.cpuMs.max < today.cpuMs.min * (1 - ENCODER_TARGETS.minCpuSaving) || row.bytes < today.bytes * 0.995 || row.ssim > today.ssim + 0.0005;
}

/**
 * Every combination of one eligible candidate per group, estimated additively from today's
 * figures (each group's change in CPU, bytes and SSIM, SSIM weighted by its share of scores);
 * returns them with the budget and Pareto flags set.
 */
export function combine(rows: CandidateRow[], today: EncoderSettings, totalScores: number): Combination[] {
  const groups = (['decode', 'jpeg', 'webp'] as const)
    .map((g) => rows.filter((r) => r.group === g))
    .filter((g) => g.length > 0)
    .map((g) => g.filter((r) => beatsNoise(r, g[0] as CandidateRow)));
  const base = groups[0]?.[0];
  if (base === undefined || base.group !== 'decode') return [];
  const todayCpu = groups.reduce((sum, g) => sum + (g[0]?.cpuMs.median ?? 0), 0);
  let combos: Combination[] = [{ candidates: [], settings: { ...today }, cpuMs: todayCpu, bytes: base.bytes, ssim: base.ssim, withinBudget: true, pareto: false }];
  for (const group of groups) {
    const first = group[0] as CandidateRow;
    combos = combos.flatMap((combo) =>
      group.map((row) => ({
        ...combo,
        candidates: [...combo.candidates, row.candidate],
        settings: { ...combo.settings, ...row.change },
        cpuMs: combo.cpuMs + row.cpuMs.median - first.cpuMs.median,
        bytes: combo.bytes + row.bytes - first.bytes,
        ssim: combo.ssim + ((row.ssim - first.ssim) * row.scores) / totalScores,
      })),
    );
  }
  for (const combo of combos) {
    combo.withinBudget = combo.bytes <= base.bytes * ENCODER_TARGETS.bytesRatio && combo.ssim >= base.ssim + ENCODER_TARGETS.ssimDelta;
    combo.pareto = !combos.some((o) => o !== combo && o.cpuMs <= combo.cpuMs && o.bytes <= combo.bytes && o.ssim >= combo.ssim && (o.cpuMs < combo.cpuMs || o.bytes < combo.bytes || o.ssim > combo.ssim));
  }
  return combos;
}

/**
 * Today's against `chosen` settings through the real renderer on `images` (no study): CPU per
 * image, bytes and mean SSIM, for checking a setting quickly.
 * @throws Error when an image cannot be rendered.
 */
export async function compareSettings(corpus: BeforeAfter['corpus'], images: StudyImage[], specs: readonly VariantSpec[], chosen: EncoderSettings, repeats: number): Promise<BeforeAfter> {
  return beforeAfter(corpus, await prepare(images, specs), specs, SHARP_DEFAULT_ENCODING, chosen, repeats);
}

async function beforeAfter(corpus: BeforeAfter['corpus'], images: Prepared[], specs: readonly VariantSpec[], today: EncoderSettings, chosen: EncoderSettings, repeats: number): Promise<BeforeAfter> {
  const settings = [today, chosen];
  const cpu = settings.map(() => [] as number[]);
  for (let r = 0; r < repeats; r++) {
    for (const [s, setting] of settings.entries()) {
      let total = 0;
      for (const image of images) total += (await cpuMs(() => renderVariants(image.bytes, image.info, specs, undefined, setting))).ms;
      cpu[s]?.push(total / images.length);
    }
  }
  const quality = [] as { bytes: number; ssim: number }[];
  for (const setting of settings) {
    let bytes = 0;
    let ssimSum = 0;
    let count = 0;
    for (const image of images) {
      const variants = await renderVariants(image.bytes, image.info, specs, undefined, setting);
      for (const [v, variant] of variants.entries()) {
        bytes += variant.bytes;
        ssimSum += await score(variant.data, image.references[v] as Reference);
        count += 1;
      }
    }
    quality.push({ bytes, ssim: ssimSum / count });
  }
  const side = (s: number) => ({
    cpuMsPerImage: median(cpu[s] ?? []),
    cpuSpread: [Math.min(...(cpu[s] ?? [])), Math.max(...(cpu[s] ?? []))] as [number, number],
    bytes: quality[s]?.bytes ?? Number.NaN,
    ssim: quality[s]?.ssim ?? Number.NaN,
  });
  const before = side(0);
  const after = side(1);
  return {
    corpus,
    images: images.length,
    before,
    after,
    cpuRatio: after.cpuMsPerImage / before.cpuMsPerImage,
    bytesRatio: after.bytes / before.bytes,
    ssimDelta: after.ssim - before.ssim,
  };
}

function diff(a: EncoderSettings, b: EncoderSettings): Partial<EncoderSettings> {
  return Object.fromEntries(Object.entries(a).filter(([k, v]) => b[k as keyof EncoderSettings] !== v)) as Partial<EncoderSettings>;
}

/**
 * Runs the study on `photos`, picks settings group by group, and measures today's against the
 * chosen settings through the real renderer on both corpora.
 * @throws Error when an image of the corpus cannot be rendered.
 */
export async function measureEncoders(options: EncoderStudyOptions): Promise<EncoderStudyResult> {
  const { variants: specs, repeats, log } = options;
  const today = SHARP_DEFAULT_ENCODING;
  log(`  preparing references (full-quality resizes) for ${options.photos.length} photos …`);
  const photos = await prepare(options.photos, specs);
  const all = candidates(today);
  const rows: CandidateRow[] = [];
  for (const group of ['decode', 'jpeg', 'webp'] as const) {
    const groupRows = await measureGroup(group, all.filter((c) => c.group === group), photos, specs, repeats);
    for (const row of groupRows) log(`  ${group}: ${row.candidate}: ${row.cpuMs.median.toFixed(1)} CPU-ms, ${row.bytes} B, SSIM ${row.ssim.toFixed(4)}`);
    rows.push(...groupRows);
  }
  // The pick: the cheapest combination within the byte and SSIM budgets (it is on the front).
  const combos = combine(rows, today, photos.length * specs.length);
  const todayCombo = combos[0];
  const best = combos.filter((c) => c.withinBudget).reduce<Combination | undefined>((a, c) => (a === undefined || c.cpuMs < a.cpuMs ? c : a), undefined);
  const chosen: EncoderSettings = { ...(best ?? todayCombo)?.settings ?? today };
  for (const row of rows) row.chosen = best?.candidates.includes(row.candidate) === true;
  const front = [...(todayCombo === undefined ? [] : [todayCombo]), ...combos.filter((c) => c.pareto && c !== todayCombo).sort((a, b) => a.cpuMs - b.cpuMs)];
  log(`  chosen: ${JSON.stringify(diff(chosen, today))}; before/after through renderVariants …`);
  const beforeAfterRows = [await beforeAfter('real', photos, specs, today, chosen, repeats)];
  if (options.synthetic.length > 0) beforeAfterRows.push(await beforeAfter('synthetic', await prepare(options.synthetic, specs), specs, today, chosen, repeats));
  return { today: { ...today }, chosen, rows, front, beforeAfter: beforeAfterRows, repeats, photos: options.photos.map((p) => p.name) };
}

/** The study's table: per group and candidate, per-variant CPU, bytes and SSIM. */
export function renderStudyTable(result: EncoderStudyResult): string {
  const header = ['group', 'candidate', 'CPU ms (min–max)', 'per variant: CPU ms / KiB / SSIM', 'KiB', 'Δ bytes', 'SSIM', 'Δ SSIM', 'front', 'pick'];
  const lines: string[][] = [];
  for (const group of ['decode', 'jpeg', 'webp'] as const) {
    const rows = result.rows.filter((r) => r.group === group);
    const today = rows[0];
    for (const row of rows) {
      const perVariant = Object.entries(row.variants)
        .map(([name, v]) => `${name} ${v.cpuMs === undefined ? '' : `${v.cpuMs.toFixed(0)}/`}${(v.bytes / 1024).toFixed(0)}/${v.ssim.toFixed(3)}`)
        .join(', ');
      lines.push([
        group,
        row.candidate,
        `${row.cpuMs.median.toFixed(0)} (${row.cpuMs.min.toFixed(0)}–${row.cpuMs.max.toFixed(0)})`,
        perVariant,
        (row.bytes / 1024).toFixed(0),
        today === undefined ? '' : `${(((row.bytes / today.bytes) - 1) * 100).toFixed(1)} %`,
        row.ssim.toFixed(4),
        today === undefined ? '' : (row.ssim - today.ssim).toFixed(4),
        row.pareto ? 'yes' : '',
        row.chosen ? '←' : '',
      ]);
    }
  }
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => (l[i] as string).length)));
  const line = (cells: string[]): string => cells.map((c, i) => c.padEnd(widths[i] as number)).join('  ').trimEnd();
  const ba = result.beforeAfter.map(
    (b) =>
      `${b.corpus} (${b.images} images): CPU per image ${b.before.cpuMsPerImage.toFixed(0)} → ${b.after.cpuMsPerImage.toFixed(0)} ms (${b.cpuRatio.toFixed(2)}×; spread ${b.before.cpuSpread.map((x) => x.toFixed(0)).join('–')} / ${b.after.cpuSpread.map((x) => x.toFixed(0)).join('–')}), ` +
      `bytes ${(b.before.bytes / 1024).toFixed(0)} → ${(b.after.bytes / 1024).toFixed(0)} KiB (${b.bytesRatio.toFixed(3)}×), mean SSIM ${b.before.ssim.toFixed(4)} → ${b.after.ssim.toFixed(4)} (${b.ssimDelta >= 0 ? '+' : ''}${b.ssimDelta.toFixed(4)})`,
  );
  const today = result.front[0];
  const combos = result.front.slice(1).filter((c) => c.withinBudget).slice(0, 8);
  const comboLines =
    today === undefined
      ? []
      : [
          `Pareto front of the combinations (estimated from the rows above; ${result.front.length - 1} on the front, the cheapest within budget shown):`,
          ...combos.map(
            (c) =>
              `  CPU ${(c.cpuMs / today.cpuMs).toFixed(2)}× today, bytes ${(((c.bytes / today.bytes) - 1) * 100).toFixed(1)} %, SSIM ${(c.ssim - today.ssim).toFixed(4)}: ` +
              `${c.candidates.filter((n) => !n.endsWith('(today)')).join(' + ') || 'today'}${JSON.stringify(c.settings) === JSON.stringify(result.chosen) ? '  ← chosen' : ''}`,
          ),
        ];
  return [
    `encoder study: ${result.photos.length} photos × ${result.repeats} repeats (CPU = process.cpuUsage, medians; one factor at a time from sharp's defaults)`,
    line(header),
    widths.map((w) => '-'.repeat(w)).join('  '),
    ...lines.map(line),
    ...comboLines,
    `chosen settings: ${JSON.stringify(diff(result.chosen, result.today))} (everything else as today)`,
    ...ba,
  ].join('\n');
}
