/**
 * The real-photo corpus: photographs and artwork from Debian's `mate-backgrounds` package
 * (GPL-2+ and CC-BY-SA-4.0 wallpapers, per its copyright file; used as bench input only, never
 * copied into the repository): nature photos with camera EXIF, progressive and baseline JPEGs,
 * RGBA PNGs, and a 5640×3172 progressive JPEG over 10 MiB. Fetched with `apt-get download` and
 * unpacked with `dpkg -x` into `<INGEST_LOCAL_DIR>/photos/` (nothing is installed), then cached.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { Config } from '../core';
import { projectRoot } from '../local/stack/paths';

/** The Debian package the photos come from. */
export const PHOTO_PACKAGE = 'mate-backgrounds';

/** One file of the real-photo corpus. */
export interface Photo {
  /** Path inside the package below `usr/share/backgrounds/mate/`, e.g. `nature/Wood.jpg`. */
  name: string;
  bytes: Buffer;
}

/**
 * The study's picks, in order, so that a small count still covers every kind: progressive
 * 8 MP JPEG with EXIF, baseline camera JPEGs with EXIF orientation, a progressive 4:4:4 JPEG,
 * an RGBA PNG, an RGB PNG, then more of each. The 5640×3172 file (15.6 MiB, over the 10 MiB
 * upload limit) comes last: the pipeline refuses it, so it is only rendered when asked for.
 */
export const PHOTO_ORDER = [
  'abstract/Elephants_3840x2160.jpg',
  'nature/Wood.jpg',
  'abstract/Gulp.png',
  'nature/TwoWings.jpg',
  'abstract/Elephants.jpg',
  'desktop/Ubuntu-Mate-Cold-no-logo.png',
  'nature/RainDrops.jpg',
  'nature/Storm.jpg',
  'nature/GreenMeadow.jpg',
  'abstract/Flow.png',
  'nature/Dune.jpg',
  'nature/LadyBird.jpg',
  'abstract/Elephants_5640x3172.jpg',
] as const;

function run(command: string, args: string[], cwd: string): void {
  execFileSync(command, args, { cwd, stdio: ['ignore', 'pipe', 'pipe'], timeout: 300_000 });
}

/**
 * Downloads and unpacks the package into the cache when it is not there yet; returns the
 * folder holding `abstract/`, `nature/`, `desktop/`.
 *
 * @throws Error when apt-get or dpkg are missing or the package cannot be downloaded even after
 *   one `apt-get update`.
 */
export function ensurePhotos(config: Config, log: (line: string) => void): string {
  const cache = join(resolve(projectRoot(), config.local.dataDir), 'photos', PHOTO_PACKAGE);
  const photos = join(cache, 'usr', 'share', 'backgrounds', 'mate');
  if (existsSync(photos)) return photos;
  const work = mkdtempSync(join(tmpdir(), 'photos-'));
  try {
    log(`  fetching the real-photo corpus: apt-get download ${PHOTO_PACKAGE} (cached in ${cache}) …`);
    try {
      run('apt-get', ['download', PHOTO_PACKAGE], work);
    } catch {
      // A fresh machine has no package lists yet; one update is enough.
      log('  apt-get download failed; running apt-get update once and retrying …');
      run('apt-get', ['update'], work);
      run('apt-get', ['download', PHOTO_PACKAGE], work);
    }
    const deb = readdirSync(work).find((f) => f.startsWith(`${PHOTO_PACKAGE}_`) && f.endsWith('.deb'));
    if (deb === undefined) throw new Error(`apt-get download ${PHOTO_PACKAGE} left no .deb in ${work}`);
    const unpacked = join(work, 'x');
    run('dpkg', ['-x', join(work, deb), unpacked], work);
    mkdirSync(join(cache, '..'), { recursive: true });
    // Renamed into place only when complete, so an interrupted fetch is retried next time.
    renameSync(unpacked, cache);
    return photos;
  } catch (error) {
    throw new Error(`could not fetch the real-photo corpus (${PHOTO_PACKAGE}): ${(error as Error).message}`, { cause: error });
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

/**
 * The first `count` photos of {@link PHOTO_ORDER}, read from the cache (fetched on first use).
 * @default count 6
 */
export function realPhotos(config: Config, log: (line: string) => void, count = 6): Photo[] {
  const dir = ensurePhotos(config, log);
  return PHOTO_ORDER.slice(0, count).map((name) => ({ name, bytes: readFileSync(join(dir, name)) }));
}
