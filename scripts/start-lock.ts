/**
 * One `npm start` per folder: two on the same user directory and DynamoDB Local data folder would
 * write the same flows and the same database files. The first start holds `start.lock` in the user
 * directory (created exclusively, so two starting at once cannot both get it) with its pid and, once
 * they are up, where Node-RED and DynamoDB Local run; a second start reads it and says so. A lock
 * whose process is gone (killed without its cleanup) is taken over.
 */
import { openSync, readFileSync, rmSync, writeFileSync, closeSync } from 'node:fs';
import { join } from 'node:path';

export interface StartLock {
  pid: number;
  /** Set once each part is up. */
  editor?: string;
  chat?: string;
  dynamodb?: string;
  /** The processes this start started, so a test can see that they are gone after it stopped. */
  nodeRedPid?: number;
  dynamodbPid?: number;
}

export function lockFile(userDir: string): string {
  return join(userDir, 'start.lock');
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: it exists, under another user.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function read(file: string): StartLock | undefined {
  try {
    const lock = JSON.parse(readFileSync(file, 'utf8')) as StartLock;
    return typeof lock.pid === 'number' ? lock : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Takes the folder's lock for this process, or returns the lock of the start that holds it (still
 * running). A lock left by a process that is gone is replaced.
 */
export function takeLock(userDir: string): { taken: true } | { taken: false; holder: StartLock } {
  const file = lockFile(userDir);
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      const fd = openSync(file, 'wx', 0o600);
      writeFileSync(fd, JSON.stringify({ pid: process.pid }));
      closeSync(fd);
      return { taken: true };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    const holder = read(file);
    if (holder && holder.pid !== process.pid && alive(holder.pid)) return { taken: false, holder };
    // Unreadable (half written by a start this instant) is left alone once; stale is removed.
    if (holder || attempt > 0) rmSync(file, { force: true });
  }
  const holder = read(file);
  return holder ? { taken: false, holder } : { taken: true };
}

/** Adds what is now known (URLs, pids) to this process's lock. */
export function updateLock(userDir: string, known: Omit<StartLock, 'pid'>): void {
  const file = lockFile(userDir);
  const current = read(file);
  if (current?.pid !== process.pid) return;
  writeFileSync(file, JSON.stringify({ ...current, ...known }), { mode: 0o600 });
}

/** Lets go of the lock, if this process holds it. */
export function releaseLock(userDir: string): void {
  const file = lockFile(userDir);
  if (read(file)?.pid === process.pid) rmSync(file, { force: true });
}
