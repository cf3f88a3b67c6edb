/**
 * Runs the repo's Node-RED (the dev dependency) as a child process on a user directory, waits until
 * its admin API answers, and talks to that API. Shared by `npm start` and the install test.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { dirname, join } from 'node:path';

export interface NodeRed {
  /** The editor and admin API, e.g. http://127.0.0.1:1880 (no trailing slash). */
  url: string;
  port: number;
  process: ChildProcess;
  /** What Node-RED printed so far (empty when its output goes to the terminal). */
  output(): string;
  /** Resolves with the exit code once Node-RED has exited. */
  exited: Promise<number | null>;
  /** Asks Node-RED to stop (it closes its nodes first); kills it if it has not exited after graceMs. */
  stop(graceMs?: number): Promise<void>;
}

export interface NodeRedOptions {
  userDir: string;
  port: number;
  /** 'inherit' shows Node-RED's log in the terminal; 'pipe' keeps it for `output()` (tests). */
  stdio?: 'inherit' | 'pipe';
  env?: NodeJS.ProcessEnv;
  /** How long Node-RED may take until its admin API answers. */
  startTimeoutMs?: number;
  /** Options for node itself, before red.js (e.g. `--inspect=127.0.0.1:0`). */
  nodeArgs?: string[];
  /** Another Node-RED's red.js and the node executable to run it with; by default the repo's, on this node. */
  runtime?: { redScript: string; node: string };
}

/** red.js of the Node-RED this repo depends on. */
export function nodeRedScript(): string {
  return join(dirname(require.resolve('node-red/package.json')), 'red.js');
}

/** Whether something already listens on the loopback port (a listen there would fail). */
export function portInUse(port: number, host = '127.0.0.1'): Promise<boolean> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.once('error', (error: NodeJS.ErrnoException) =>
      error.code === 'EADDRINUSE' || error.code === 'EACCES' ? resolve(true) : reject(error),
    );
    server.listen(port, host, () => server.close(() => resolve(false)));
  });
}

export interface SettingsOptions {
  /** Port written as the default when `PORT` is not set (the `-p` argument overrides it). */
  defaultPort?: number;
  /** Node-RED's `adminAuth` setting (an editor login); none when absent. */
  adminAuth?: object;
  /** The runtime's language (`lang`: status texts, runtime errors); the system locale when absent. */
  lang?: string;
}

/**
 * Writes `settings.js` into the user directory unless it has one: flows in flows.json, credentials
 * encrypted with a secret generated here once (kept in the file, so later starts can decrypt them),
 * the editor on loopback only. Returns whether it wrote the file.
 */
export function writeSettingsIfAbsent(userDir: string, options: SettingsOptions = {}): boolean {
  const file = join(userDir, 'settings.js');
  if (existsSync(file)) return false;
  const secret = randomBytes(32).toString('hex');
  writeFileSync(
    file,
    `// Written once by the pack's start script; edit freely, it is not overwritten.
// Node-RED settings reference: https://nodered.org/docs/user-guide/runtime/settings-file
module.exports = {
  flowFile: 'flows.json',
  flowFilePretty: true,
  // Encrypts flows_cred.json. Keep it: without it the stored credentials cannot be read.
  credentialSecret: ${JSON.stringify(secret)},
  uiPort: Number(process.env.PORT) || ${options.defaultPort ?? 1880},
  // Only this machine can reach the editor.
  uiHost: '127.0.0.1',${options.adminAuth ? `\n  adminAuth: ${JSON.stringify(options.adminAuth)},` : ''}${
    options.lang ? `\n  lang: ${JSON.stringify(options.lang)},` : ''
  }
  logging: { console: { level: 'info', metrics: false, audit: false } },
  // No consent dialog for update notifications and no tour in front of the flows on the first visit.
  telemetry: { enabled: false, updateNotification: false },
  editorTheme: { tours: false },
};
`,
    { mode: 0o600 },
  );
  return true;
}

/** Calls Node-RED's admin HTTP API; throws with the status and body on anything but 2xx. */
export async function adminApi<T = unknown>(
  url: string,
  path: string,
  init: { method?: string; body?: unknown; headers?: Record<string, string>; accept?: string } = {},
): Promise<T> {
  const headers: Record<string, string> = { Accept: init.accept ?? 'application/json', ...init.headers };
  if (init.body !== undefined) headers['Content-Type'] = 'application/json';
  const response = await fetch(url + path, {
    method: init.method ?? 'GET',
    headers,
    ...(init.body !== undefined ? { body: JSON.stringify(init.body) } : {}),
    signal: AbortSignal.timeout(30_000),
  });
  const text = await response.text();
  if (!response.ok) throw new Error(`${init.method ?? 'GET'} ${path} answered ${response.status}: ${text}`);
  const type = response.headers.get('content-type') ?? '';
  return (type.includes('json') ? JSON.parse(text) : text) as T;
}

export type FlowNode = { id: string; type: string; z?: string; [key: string]: unknown };

/** The deployed flow, as GET /flows (v1 format: a plain array) gives it. */
export function deployedFlows(url: string): Promise<FlowNode[]> {
  return adminApi<FlowNode[]>(url, '/flows', { headers: { 'Node-RED-API-Version': 'v1' } });
}

/**
 * fetch for a route an `http in` node of a flow just deployed serves: POST /flows can answer before
 * the new flow has registered its routes, so a 404 is tried again for up to `settleMs`.
 */
export async function fetchDeployedRoute(url: string, init: RequestInit, settleMs = 10_000): Promise<Response> {
  const deadline = Date.now() + settleMs;
  for (;;) {
    const response = await fetch(url, init);
    if (response.status !== 404 || Date.now() >= deadline) return response;
    await response.arrayBuffer();
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

/** Replaces the whole deployed flow (a full deploy, like the editor's Deploy button). */
export function deployFlows(url: string, flows: FlowNode[]): Promise<unknown> {
  return adminApi(url, '/flows', {
    method: 'POST',
    body: flows,
    headers: { 'Node-RED-Deployment-Type': 'full', 'Node-RED-API-Version': 'v1' },
  });
}

async function waitForAdminApi(node: NodeRed, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let exitCode: number | null | undefined;
  node.exited.then((code) => (exitCode = code));
  while (Date.now() < deadline) {
    if (exitCode !== undefined) throw new Error(`Node-RED exited (${exitCode}) before it was ready:\n${node.output()}`);
    try {
      const response = await fetch(`${node.url}/settings`, { signal: AbortSignal.timeout(2_000) });
      // 401: it answers, but wants a login (adminAuth).
      if (response.ok || response.status === 401) return;
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new Error(`Node-RED's admin API did not answer on ${node.url} within ${timeoutMs / 1000} s:\n${node.output()}`);
}

export interface LaunchedNodeRed extends NodeRed {
  /** Resolves once the admin API answers; rejects if Node-RED exits or does not answer in time. */
  ready: Promise<void>;
}

/**
 * Spawns Node-RED on the user directory and port and returns at once (so a caller can stop it even
 * while it is still starting); `ready` tells when its admin API answers.
 */
export function launchNodeRed(options: NodeRedOptions): LaunchedNodeRed {
  const stdio = options.stdio ?? 'pipe';
  const { redScript, node: executable } = options.runtime ?? { redScript: nodeRedScript(), node: process.execPath };
  const child = spawn(executable, [...(options.nodeArgs ?? []), redScript, '-u', options.userDir, '-p', String(options.port)], {
    stdio: ['ignore', stdio, stdio],
    env: options.env ?? process.env,
  });
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk));
  const exited = new Promise<number | null>((resolve) => {
    child.once('exit', (code, signal) => resolve(code ?? (signal ? 1 : null)));
    child.once('error', () => resolve(1));
  });
  const stop = async (graceMs = 15_000) => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
      await exited;
      clearTimeout(timer);
    }
  };
  const node = {
    url: `http://127.0.0.1:${options.port}`,
    port: options.port,
    process: child,
    output: () => output,
    exited,
    stop,
  } as LaunchedNodeRed;
  node.ready = waitForAdminApi(node, options.startTimeoutMs ?? 60_000);
  return node;
}

/** Starts Node-RED on the user directory and port; resolves once its admin API answers. */
export async function startNodeRed(options: NodeRedOptions): Promise<NodeRed> {
  const node = launchNodeRed(options);
  try {
    await node.ready;
  } catch (error) {
    await node.stop(5_000);
    throw error;
  }
  return node;
}
