import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import type { Config } from '../../core/config';

/** The repository root: the nearest folder above this file holding our package.json. */
export function projectRoot(): string {
  let dir = __dirname;
  for (;;) {
    const manifest = join(dir, 'package.json');
    if (existsSync(manifest) && (JSON.parse(readFileSync(manifest, 'utf8')) as { name?: string }).name === 'image-ingestion-pipeline') {
      return dir;
    }
    const parent = dirname(dir);
    if (parent === dir) throw new Error(`cannot find the project root above ${__dirname}`);
    dir = parent;
  }
}

/** Where the local stack keeps installs, data, pid files and logs (git-ignored). */
export interface StackPaths {
  root: string;
  base: string;
  kafkaLib: string;
  kafkaData: string;
  kafkaConfig: string;
  kafkaLog4j: string;
  motoVenv: string;
  run: string;
  logs: string;
  javaSources: string;
}

/** Resolves every stack path from config (`INGEST_LOCAL_DIR`, default `.local`). */
export function stackPaths(config: Config): StackPaths {
  const root = projectRoot();
  const base = resolve(root, config.local.dataDir);
  return {
    root,
    base,
    kafkaLib: join(base, 'kafka', 'lib'),
    kafkaData: join(base, 'kafka', 'data'),
    kafkaConfig: join(base, 'kafka', 'server.properties'),
    kafkaLog4j: join(base, 'kafka', 'log4j.properties'),
    motoVenv: join(base, 'moto-venv'),
    run: join(base, 'run'),
    logs: join(base, 'logs'),
    javaSources: join(root, 'local', 'java'),
  };
}
