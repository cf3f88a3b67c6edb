/**
 * Starts the official DynamoDB Local (the jar that the npm package amplify-dynamodb-simulator ships)
 * on a free loopback port, for the tests, `npm start` and the benchmarks.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { dirname, join } from 'node:path';

export interface DynamoDBLocal {
  endpoint: string;
  port: number;
  process: ChildProcess;
  stop(): Promise<void>;
}

export interface DynamoDBLocalOptions {
  /** Keep data in this folder; without it, data lives in memory and is gone when it stops. */
  dbPath?: string;
  port?: number;
  /** Working directory of the java process: DynamoDB Local writes dynamodb-local-metadata.json there. */
  cwd?: string;
}

/** Why DynamoDB Local cannot start here, in words a newcomer can act on; undefined when it can. */
export function javaProblem(): string | undefined {
  const java = spawnSync('java', ['-version'], { encoding: 'utf8' });
  if (java.error || java.status !== 0) {
    return 'DynamoDB Local needs Java 17 or newer, and no `java` was found. Install it, for example:\n' +
      '  Debian/Ubuntu: sudo apt-get install -y openjdk-17-jre-headless\n' +
      '  macOS:         brew install openjdk@17\n' +
      '  Windows:       winget install Microsoft.OpenJDK.17';
  }
  const version = /version "(\d+)/.exec(java.stderr)?.[1];
  if (version !== undefined && Number(version) < 17) return `DynamoDB Local needs Java 17 or newer; found Java ${version}.`;
  return undefined;
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

async function waitUntilListening(endpoint: string, child: ChildProcess, output: () => string): Promise<void> {
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`DynamoDB Local exited (${child.exitCode}):\n${output()}`);
    try {
      // Any HTTP answer (DynamoDB Local answers 400 to a bare GET) means it is up.
      await fetch(endpoint);
      return;
    } catch {
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }
  throw new Error(`DynamoDB Local did not answer on ${endpoint} within 60 s:\n${output()}`);
}

export async function startDynamoDBLocal(options: DynamoDBLocalOptions = {}): Promise<DynamoDBLocal> {
  const problem = javaProblem();
  if (problem) throw new Error(problem);
  const jar = join(dirname(require.resolve('amplify-dynamodb-simulator/package.json')), 'emulator', 'DynamoDBLocal.jar');
  const port = options.port ?? (await freePort());
  const storage = options.dbPath ? ['-dbPath', options.dbPath] : ['-inMemory'];
  const child = spawn(
    'java',
    [`-Djava.library.path=${join(dirname(jar), 'DynamoDBLocal_lib')}`, '-jar', jar, ...storage, '-port', String(port)],
    { stdio: ['ignore', 'pipe', 'pipe'], ...(options.cwd ? { cwd: options.cwd } : {}) },
  );
  let output = '';
  child.stdout!.on('data', (chunk: Buffer) => (output += chunk));
  child.stderr!.on('data', (chunk: Buffer) => (output += chunk));
  const endpoint = `http://127.0.0.1:${port}`;
  const stop = () =>
    new Promise<void>((resolve) => {
      if (child.exitCode !== null) return resolve();
      child.once('exit', () => resolve());
      child.kill('SIGTERM');
    });
  try {
    await waitUntilListening(endpoint, child, () => output);
  } catch (error) {
    await stop();
    throw error;
  }
  return { endpoint, port, process: child, stop };
}
