import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { chromium, type BrowserContext } from 'playwright-core';

const run = promisify(execFile);

/** Debian's `chromium` package installs the browser here. */
export const CHROMIUM_PATH = '/usr/bin/chromium';

/**
 * Flags for a quiet, reproducible headless run on a build machine: no sandbox (containers run
 * as root), no GPU, no QUIC, and none of the background traffic a desktop browser makes.
 */
export const CHROMIUM_FLAGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
] as const;

/**
 * Makes sure Debian's `chromium` is installed, installing it with apt-get when it is missing
 * (as root, or through passwordless sudo).
 * @throws Error saying what to run when it cannot install the package itself.
 */
export async function ensureChromium(log: (line: string) => void = (line) => process.stderr.write(`${line}\n`)): Promise<string> {
  if (existsSync(CHROMIUM_PATH)) return CHROMIUM_PATH;
  const asRoot = process.getuid?.() === 0;
  const sudo = asRoot ? [] : ['sudo', '-n'];
  const apt = async (...args: string[]): Promise<void> => {
    const [command, ...rest] = [...sudo, 'apt-get', ...args];
    await run(command as string, rest, { env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' }, maxBuffer: 64 * 1024 * 1024, timeout: 15 * 60_000 });
  };
  log(`chromium is missing; installing Debian's chromium package with apt-get${asRoot ? '' : ' (sudo)'} …`);
  try {
    await apt('update');
    await apt('install', '-y', '--no-install-recommends', 'chromium');
  } catch (error) {
    throw new Error(`could not install chromium (${(error as Error).message.split('\n')[0]}); run: sudo apt-get update && sudo apt-get install -y chromium`);
  }
  if (!existsSync(CHROMIUM_PATH)) throw new Error(`apt-get installed chromium but ${CHROMIUM_PATH} does not exist`);
  return CHROMIUM_PATH;
}

/**
 * Starts headless Chromium with a fresh profile in a new temporary directory.
 * Playwright passes the profile as `--user-data-dir`; it refuses that flag in `args`.
 */
export async function launchChromium(): Promise<{ context: BrowserContext; userDataDir: string }> {
  const executablePath = await ensureChromium();
  const userDataDir = mkdtempSync(join(tmpdir(), 'chromium-profile-'));
  const context = await chromium.launchPersistentContext(userDataDir, { executablePath, headless: true, args: [...CHROMIUM_FLAGS] });
  return { context, userDataDir };
}
