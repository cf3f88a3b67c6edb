/**
 * A real Node-RED (a child process) on a fresh temporary user directory whose node_modules links to
 * this repo, the way `npm start` runs it: Node-RED loads the pack from the repo's dist/.
 */
import { mkdirSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { freePort } from '../../scripts/dynamodb-local';
import { startNodeRed, writeSettingsIfAbsent, type NodeRed } from '../../scripts/node-red-process';

/** The repo's root (this file runs from dist/test/support/). */
export const repoRoot = resolve(__dirname, '..', '..', '..');

export interface LinkedNodeRed {
  nodeRed: NodeRed;
  userDir: string;
  /** Stops Node-RED and deletes the user directory. */
  stop(): Promise<void>;
}

export interface LinkedOptions {
  /** Other palette packages, installed as the repo's dev dependencies, linked in beside the pack. */
  packages?: string[];
  /** Environment variables for Node-RED (the flows' `${VAR}` and `$env()`), besides the test's own. */
  env?: Record<string, string>;
}

export async function startLinkedNodeRed(tempPrefix: string, options: LinkedOptions = {}): Promise<LinkedNodeRed> {
  const temp = mkdtempSync(join(tmpdir(), tempPrefix));
  const userDir = join(temp, 'user');
  mkdirSync(join(userDir, 'node_modules', '@flowmemory'), { recursive: true });
  symlinkSync(repoRoot, join(userDir, 'node_modules', '@flowmemory', 'node-red-dynamodb'), 'junction');
  for (const name of options.packages ?? []) {
    symlinkSync(join(repoRoot, 'node_modules', name), join(userDir, 'node_modules', name), 'junction');
  }
  writeSettingsIfAbsent(userDir);
  let nodeRed: NodeRed;
  try {
    nodeRed = await startNodeRed({
      userDir,
      port: await freePort(),
      startTimeoutMs: 120_000,
      ...(options.env ? { env: { ...process.env, ...options.env } } : {}),
    });
  } catch (error) {
    rmSync(temp, { recursive: true, force: true });
    throw error;
  }
  return {
    nodeRed,
    userDir,
    stop: async () => {
      await nodeRed.stop();
      rmSync(temp, { recursive: true, force: true });
    },
  };
}
