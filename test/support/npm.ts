/** Runs npm the way a user would, from tests that pack the repo and install it into Node-RED. */
import { execFile } from 'node:child_process';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);
const root = resolve(__dirname, '..', '..', '..');

/** The environment without npm's lifecycle variables (npm_config_prefix and co. would redirect the inner npm). */
export function cleanEnv(): NodeJS.ProcessEnv {
  return Object.fromEntries(Object.entries(process.env).filter(([key]) => !/^npm_/i.test(key)));
}

export async function npm(args: string[], cwd: string): Promise<string> {
  const { stdout } = await run('npm', args, {
    cwd,
    env: cleanEnv(),
    maxBuffer: 64 * 1024 * 1024,
    shell: process.platform === 'win32',
  });
  return stdout;
}

export interface Packed {
  tarball: string;
  /** The packed files' paths, relative to the package root. */
  files: string[];
}

/** `npm pack` of the repo into the folder, from the dist/ already built (prepack would rebuild the dist the tests run from). */
export async function packTarball(destination: string): Promise<Packed> {
  const packed = JSON.parse(await npm(['pack', '--ignore-scripts', '--json', '--pack-destination', destination], root)) as {
    filename: string;
    files: { path: string }[];
  }[];
  return { tarball: join(destination, packed[0]!.filename), files: packed[0]!.files.map((f) => f.path) };
}
