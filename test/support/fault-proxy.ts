/**
 * A fault-injecting HTTP proxy in front of DynamoDB Local. DynamoDB Local never throttles and never
 * fails, so this is the one fake in the suite: it makes, at the rates a test sets, the failures real
 * DynamoDB produces — throttling errors, 500 / 503, added latency, dropped connections, responses
 * lost after the write was applied, and BatchWriteItem answers that leave part of the batch in
 * UnprocessedItems. Everything else is forwarded to the real engine unchanged.
 *
 * In partition-throughput mode (`partitions`, test/support/partition-throttling.ts) it also
 * throttles each partition key value beyond its share of DynamoDB's per-key limits. With a `double`
 * (test/support/vector-search-double.ts) it answers, in DynamoDB's place, operations DynamoDB Local
 * does not have.
 *
 * DynamoDB Local does not check request signatures, so the proxy may forward part of a batch.
 */
import { createServer, request as httpRequest, type IncomingHttpHeaders, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { jsonAnswer, withBody, type Engine, type EngineAnswer } from './engine-answer';
import type { PartitionThrottling } from './partition-throttling';

export type Fault =
  | 'throttle'
  | 'serverError'
  | 'drop'
  | 'lostResponse'
  | 'partialBatch'
  | 'latency';

/** Probability of each fault per request (0..1); at most one of the first five per request. */
export type FaultRates = Partial<Record<Exclude<Fault, 'latency'>, number>> & { latency?: number; latencyMs?: number };

export interface FaultProxy {
  endpoint: string;
  /** Change the rates while it runs (for instance to 0, to check what was stored). */
  rates: FaultRates;
  /** How many times each fault was injected, and how many requests were forwarded untouched. */
  counts: Record<Fault | 'forwarded', number>;
  /** The headers of every request it received, in order (what a client really sent). */
  headers: IncomingHttpHeaders[];
  /** Told of every request the engine answered, and whether the proxy then lost that answer. */
  onAnswer?: (exchange: EngineExchange) => void;
  /** Partition-throughput mode: when set, what gets past the injected faults is billed and throttled per partition key. */
  partitions?: PartitionThrottling;
  /** When set, sees every request that gets past the injected faults first, and answers those it takes. */
  double?: EngineDouble;
  close(): Promise<void>;
}

/**
 * Stands in for DynamoDB where DynamoDB Local falls short: its answer to a request, or undefined to
 * let the request go on to the engine (and the partition-throughput mode) as it came.
 */
export interface EngineDouble {
  answer(operation: string, body: Buffer, engine: Engine): Promise<EngineAnswer | undefined>;
}

export interface EngineExchange {
  operation: string;
  request: Buffer;
  answer: EngineAnswer;
  lost: boolean;
}

function errorBody(fault: 'throttle' | 'serverError', n: number): { status: number; body: object } {
  if (fault === 'throttle') {
    return n % 2 === 0
      ? { status: 400, body: { __type: 'com.amazonaws.dynamodb.v20120810#ProvisionedThroughputExceededException', message: 'Injected: throughput exceeded' } }
      : { status: 400, body: { __type: 'com.amazon.coral.availability#ThrottlingException', message: 'Injected: rate exceeded' } };
  }
  return n % 2 === 0
    ? { status: 500, body: { __type: 'com.amazonaws.dynamodb.v20120810#InternalServerError', message: 'Injected: internal server error' } }
    : { status: 503, body: { __type: 'com.amazon.coral.availability#ServiceUnavailableException', message: 'Injected: service unavailable' } };
}

function readBody(stream: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    stream.on('data', (c: Buffer) => chunks.push(c));
    stream.on('end', () => resolve(Buffer.concat(chunks)));
    stream.on('error', reject);
  });
}

type BatchRequest = { RequestItems: Record<string, unknown[]> };

/** Splits a BatchWriteItem body: the first half goes to the engine, the rest comes back unprocessed. */
function splitBatch(body: Buffer): { forwarded: Buffer; unprocessed: Record<string, unknown[]> } | undefined {
  const batch = JSON.parse(body.toString('utf8')) as BatchRequest;
  const tables = Object.entries(batch.RequestItems);
  const total = tables.reduce((n, [, writes]) => n + writes.length, 0);
  if (total < 2) return undefined;
  const forwarded: Record<string, unknown[]> = {};
  const unprocessed: Record<string, unknown[]> = {};
  let keep = Math.ceil(total / 2);
  for (const [table, writes] of tables) {
    const kept = writes.slice(0, keep);
    keep -= kept.length;
    if (kept.length) forwarded[table] = kept;
    if (writes.length > kept.length) unprocessed[table] = writes.slice(kept.length);
  }
  return { forwarded: Buffer.from(JSON.stringify({ ...batch, RequestItems: forwarded })), unprocessed };
}

export async function startFaultProxy(target: string, rates: FaultRates = {}, random: () => number = Math.random): Promise<FaultProxy> {
  const upstream = new URL(target);
  const counts: FaultProxy['counts'] = {
    throttle: 0, serverError: 0, drop: 0, lostResponse: 0, partialBatch: 0, latency: 0, forwarded: 0,
  };
  const proxy: FaultProxy = { endpoint: '', rates, counts, headers: [], close: async () => undefined };

  /** Sends body to the engine as req went, or as another operation with req's credentials. */
  function forward(req: IncomingMessage, body: Buffer, operation?: string): Promise<EngineAnswer> {
    const target = operation === undefined ? {} : { 'x-amz-target': `DynamoDB_20120810.${operation}` };
    return new Promise((resolve, reject) => {
      const upstreamRequest = httpRequest(
        {
          host: upstream.hostname,
          port: upstream.port,
          method: req.method,
          path: req.url,
          headers: { ...req.headers, ...target, host: upstream.host, 'content-length': String(body.length) },
        },
        (response) => readBody(response).then((b) => resolve({ status: response.statusCode ?? 500, headers: response.headers, body: b }), reject),
      );
      upstreamRequest.on('error', reject);
      upstreamRequest.end(body);
    });
  }

  function pick(operation: string): Fault | undefined {
    const r = random();
    let threshold = 0;
    for (const fault of ['throttle', 'serverError', 'drop', 'lostResponse', 'partialBatch'] as const) {
      if (fault === 'partialBatch' && operation !== 'BatchWriteItem') continue;
      threshold += proxy.rates[fault] ?? 0;
      if (r < threshold) return fault;
    }
    return undefined;
  }

  function reply(res: ServerResponse, answer: EngineAnswer): void {
    res.writeHead(answer.status, answer.headers);
    res.end(answer.body);
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    proxy.headers.push(req.headers);
    const body = await readBody(req);
    const operation = String(req.headers['x-amz-target'] ?? '').split('.').pop() ?? '';
    const engine: Engine = (other, payload) => forward(req, Buffer.from(JSON.stringify(payload)), other);
    const toEngine = async (b: Buffer) =>
      (await proxy.double?.answer(operation, b, engine)) ?? (proxy.partitions ? proxy.partitions.handle(operation, b, engine) : forward(req, b));
    if (random() < (proxy.rates.latency ?? 0)) {
      counts.latency++;
      await new Promise((resolve) => setTimeout(resolve, random() * (proxy.rates.latencyMs ?? 200)));
    }
    const fault = pick(operation);
    if (fault === 'throttle' || fault === 'serverError') {
      const { status, body: error } = errorBody(fault, counts[fault]++);
      reply(res, jsonAnswer(status, error));
      return;
    }
    if (fault === 'drop') {
      counts.drop++;
      req.socket.destroy();
      return;
    }
    if (fault === 'partialBatch') {
      const split = splitBatch(body);
      if (split) {
        counts.partialBatch++;
        const answer = await toEngine(split.forwarded);
        if (answer.status !== 200) return reply(res, answer);
        const parsed = JSON.parse(answer.body.toString('utf8')) as { UnprocessedItems?: Record<string, unknown[]> };
        for (const [table, writes] of Object.entries(split.unprocessed)) {
          parsed.UnprocessedItems = { ...parsed.UnprocessedItems, [table]: [...(parsed.UnprocessedItems?.[table] ?? []), ...writes] };
        }
        reply(res, withBody(answer, parsed));
        return;
      }
    }
    const answer = await toEngine(body);
    proxy.onAnswer?.({ operation, request: body, answer, lost: fault === 'lostResponse' });
    if (fault === 'lostResponse') {
      counts.lostResponse++;
      req.socket.destroy();
      return;
    }
    counts.forwarded++;
    reply(res, answer);
  }

  const server: Server = createServer((req, res) => {
    handle(req, res).catch(() => req.socket.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  proxy.endpoint = `http://127.0.0.1:${port}`;
  proxy.close = () =>
    new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    });
  return proxy;
}
