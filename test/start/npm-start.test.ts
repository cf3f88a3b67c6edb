/**
 * `npm start` as a command-line tool, run as a person or a process manager runs it: `npm start` in
 * the repo (npm → its shell → scripts/start.cjs), on a user directory of the test's own, on the dist/
 * this suite runs from (FLOWMEMORY_START_NO_BUILD: a build would replace it under the other tests).
 * SIGINT or SIGTERM sent to the npm process alone stops Node-RED and DynamoDB Local and says so; a
 * second start in the same folder says where the first runs and exits; a PORT or DYNAMODB_PORT that
 * is set and busy is an error naming who holds it, and nothing starts; the generated settings turn
 * off the update-notification consent and the tour.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { freePort } from '../../scripts/dynamodb-local';
import { portInUse } from '../../scripts/node-red-process';
import { lockFile, type StartLock } from '../../scripts/start-lock';
import { cleanEnv } from '../support/npm';

const root = resolve(__dirname, '..', '..', '..');

interface Started {
  userDir: string;
  npm: ChildProcess;
  output(): string;
  exited: Promise<number | null>;
}

function npmStart(userDir: string, env: Record<string, string>): Started {
  const npm = spawn('npm', ['start'], {
    cwd: root,
    env: { ...cleanEnv(), NODE_RED_USER_DIR: userDir, FLOWMEMORY_START_NO_BUILD: '1', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
    // A process group of its own, as a terminal gives a command: Ctrl-C there signals the whole group.
    detached: true,
  });
  let output = '';
  npm.stdout!.on('data', (chunk: Buffer) => (output += chunk));
  npm.stderr!.on('data', (chunk: Buffer) => (output += chunk));
  const exited = new Promise<number | null>((done) => npm.once('exit', (code, signal) => done(code ?? (signal ? 128 : null))));
  return { userDir, npm, output: () => output, exited };
}

/** Resolves once the output matches (or rejects when the process exits first). */
async function waitForOutput(started: Started, pattern: RegExp): Promise<void> {
  let exited = false;
  void started.exited.then(() => (exited = true));
  while (!pattern.test(started.output())) {
    if (exited) throw new Error(`npm start exited before printing ${pattern}:\n${started.output()}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Waits until the process is gone (the test's timeout bounds it). */
async function gone(pid: number): Promise<void> {
  while (alive(pid)) await new Promise((r) => setTimeout(r, 100));
}

function holdPort(port: number): Promise<Server> {
  return new Promise((done, fail) => {
    const server = createServer();
    server.once('error', fail);
    server.listen(port, '127.0.0.1', () => done(server));
  });
}

describe('npm start, as a command-line tool', function () {
  this.timeout(180_000);
  const folders: string[] = [];
  const running: Started[] = [];
  const folder = () => {
    const dir = mkdtempSync(join(tmpdir(), 'flowmemory-start-'));
    folders.push(dir);
    return dir;
  };

  afterEach(async () => {
    // A failed test leaves nothing running: npm, and what its start started (the lock names them).
    for (const started of running.splice(0)) {
      if (started.npm.exitCode !== null) continue;
      let lock: Partial<StartLock> = {};
      try {
        lock = JSON.parse(readFileSync(lockFile(started.userDir), 'utf8')) as StartLock;
      } catch {
        // not started that far
      }
      for (const pid of [lock.pid, lock.nodeRedPid, lock.dynamodbPid]) if (pid && alive(pid)) process.kill(pid, 'SIGKILL');
      started.npm.kill('SIGKILL');
      await started.exited;
    }
  });
  after(() => {
    for (const dir of folders) rmSync(dir, { recursive: true, force: true });
  });

  const stops = [
    { signal: 'SIGINT', to: 'the npm process alone' },
    { signal: 'SIGTERM', to: 'the npm process alone' },
    { signal: 'SIGINT', to: "npm's whole process group (Ctrl-C in a terminal)" },
  ] as const;
  for (const { signal, to } of stops) {
    const group = to !== 'the npm process alone';
    it(`${signal} to ${to} stops Node-RED and DynamoDB Local, and says so`, async () => {
      const userDir = folder();
      const [port, dynamoPort] = [await freePort(), await freePort()];
      const first = npmStart(userDir, { PORT: String(port), DYNAMODB_PORT: String(dynamoPort) });
      running.push(first);
      await waitForOutput(first, /Ready in/);
      const lock = JSON.parse(readFileSync(lockFile(userDir), 'utf8')) as StartLock;
      assert.equal(lock.editor, `http://127.0.0.1:${port}`);
      assert.ok(lock.nodeRedPid && alive(lock.nodeRedPid) && lock.dynamodbPid && alive(lock.dynamodbPid));

      if (signal === 'SIGINT' && !group) {
        // A second start in the same folder says where the first runs, and leaves it be.
        const second = npmStart(userDir, { PORT: String(await freePort()), DYNAMODB_PORT: String(await freePort()) });
        running.push(second);
        assert.notEqual(await second.exited, 0);
        assert.match(second.output(), new RegExp(`npm start already runs in this folder \\(pid ${lock.pid}\\)`));
        assert.match(second.output(), new RegExp(`Node-RED editor: +http://127\\.0\\.0\\.1:${port}/`));
        assert.match(second.output(), new RegExp(`DynamoDB Local: +http://127\\.0\\.0\\.1:${dynamoPort}`));
        assert.doesNotMatch(second.output(), /starting DynamoDB Local/);
        assert.ok(alive(lock.nodeRedPid) && alive(lock.dynamodbPid), 'the first start still runs');

        // The generated settings: no update-notification consent, no tour.
        const settings = readFileSync(join(userDir, 'settings.js'), 'utf8');
        assert.match(settings, /telemetry: \{ enabled: false, updateNotification: false \}/);
        assert.match(settings, /editorTheme: \{ tours: false \}/);
        const served = (await (await fetch(`${lock.editor}/settings`)).json()) as { editorTheme?: { tours?: unknown }; telemetryEnabled?: unknown };
        assert.equal(served.editorTheme?.tours, false);
      }

      if (group) process.kill(-first.npm.pid!, signal);
      else first.npm.kill(signal);
      await first.exited;
      await gone(lock.nodeRedPid);
      await gone(lock.dynamodbPid);
      assert.match(first.output(), new RegExp(`\\[start\\] ${signal}: stopping Node-RED and DynamoDB Local`));
      assert.match(first.output(), /\[start\] stopped: Node-RED and DynamoDB Local are down\./);
      // The same signal arriving twice (from the terminal and from npm) is one request to stop.
      assert.doesNotMatch(first.output(), /again: killed/);
      assert.equal(existsSync(lockFile(userDir)), false, 'the lock is gone');
      assert.equal(await portInUse(port), false);
      assert.equal(await portInUse(dynamoPort), false);
    });
  }

  for (const variable of ['PORT', 'DYNAMODB_PORT'] as const) {
    it(`a busy ${variable} that was set is an error naming who holds it, and nothing starts`, async () => {
      const userDir = folder();
      const busy = await freePort();
      const server = await holdPort(busy);
      try {
        const other = variable === 'PORT' ? 'DYNAMODB_PORT' : 'PORT';
        const started = npmStart(userDir, { [variable]: String(busy), [other]: String(await freePort()) });
        running.push(started);
        assert.equal(await started.exited, 1);
        assert.match(started.output(), new RegExp(`${variable}=${busy} is busy: port ${busy} is held by pid ${process.pid} \\(`));
        assert.doesNotMatch(started.output(), /starting DynamoDB Local|starting Node-RED/);
        assert.equal(existsSync(lockFile(userDir)), false);
      } finally {
        server.close();
      }
    });
  }
});
