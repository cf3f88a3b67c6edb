/**
 * Case 10: long-term memory. A recall over a user scope of 100, 1,000 and 10,000 records, cold (the
 * scope's first recall in a process: its vectors and version read whole in one Query) and warm (the
 * process cache: the version item, then the candidates), against a raw Query of the same vector items; remember against a raw
 * PutItem of the record item alone. Time and read / write units side by side, in one run. Then
 * recall@10 of the product itself: the records an exact recall (similarity only) returns against
 * the exact float32 cosine top 10 of the same vectors.
 */
import { randomUUID } from 'node:crypto';
import { PutCommand } from '@aws-sdk/lib-dynamodb';
import { ChatMemory } from '../lib/memory/chat-memory';
import { connect } from '../lib/memory/connection';
import { withCapacityMeter } from '../lib/memory/consumed-capacity';
import { builtInEmbedding } from '../lib/memory/embedding';
import { queryPages } from '../lib/memory/query-pages';
import { attribute, key, prefix } from '../lib/memory/table-layout';
import { ensureTable } from '../lib/memory/table-setup';
import { parseRecallRequest, parseRememberRequest, type RecallRequest } from '../lib/schemas/memory-request';
import { prng } from '../test/support/prng';
import { credentials, type Engine } from './engine';
import { ms, row, type Row } from './report';
import { interleaved, median, nowMs, timed } from './stats';

export interface RecallSizes {
  recallScopes: number[];
  recallRounds: number;
  rememberRounds: number;
  recallQueries: number;
}

/** Words for synthetic memories: 60 topics of 8 words, so texts come in families, as real ones do. */
function words(random: () => number): () => string {
  const vocabulary = Array.from({ length: 480 }, (_, i) => `w${(i * 7919) % 100_003}`);
  return () => {
    const topic = Math.floor(random() * 60);
    const pick = () => vocabulary[topic * 8 + Math.floor(random() * 8)]!;
    const other = () => vocabulary[Math.floor(random() * vocabulary.length)]!;
    return [pick(), pick(), other(), pick(), other(), pick()].join(' ');
  };
}

async function metered<T>(work: () => Promise<T>): Promise<{ ms: number; read: number; write: number }> {
  const meter = withCapacityMeter(work);
  const elapsed = await timed(() => meter.result);
  const { readUnits, writeUnits } = meter.capacity();
  return { ms: elapsed, read: readUnits, write: writeUnits };
}

/**
 * A recall as the node runs it: the time until the results are there (the msg is sent then), and
 * the units of everything it did, the access-count writes after the results included.
 */
async function recallMetered(memory: ChatMemory, request: RecallRequest): Promise<{ ms: number; read: number; write: number; accessMs: number }> {
  let resultsMs = 0;
  let accessMs = 0;
  const all = await metered(async () => {
    const started = nowMs();
    const result = await memory.memories.recall(request);
    resultsMs = nowMs() - started;
    await result.accessRecorded;
    accessMs = nowMs() - started - resultsMs;
  });
  return { ...all, ms: resultsMs, accessMs };
}

export async function recallAtScale(engine: Engine, sizes: RecallSizes, log: (s: string) => void): Promise<{ rows: Row[]; data: unknown }> {
  const tableName = `recall-${randomUUID().slice(0, 8)}`;
  await ensureTable(engine.raw.client, tableName);
  const connection = connect({ region: 'us-east-1', endpoint: engine.local.endpoint, authentication: { type: 'keys', ...credentials }, requestTimeoutMs: 30_000, maxAttempts: 3 });
  const newProcess = () => new ChatMemory({ documents: connection.documents, tableName });
  const rows: Row[] = [];
  const data: Record<string, unknown> = {};
  const text = words(prng(13));
  try {
    // remember one record against a raw PutItem of the same record item
    const writer = newProcess();
    const remembers: Array<{ ms: number; write: number }> = [];
    const puts: Array<{ ms: number; write: number }> = [];
    const rememberUser = `remember-${randomUUID().slice(0, 6)}`;
    await interleaved(sizes.rememberRounds, [
      async () => {
        remembers.push(await metered(() => writer.memories.remember(parseRememberRequest({ scope: 'user', userId: rememberUser, records: [{ text: text() }] }))));
      },
      async () => {
        const t = text();
        const item = { ...key.memory({ userId: rememberUser }, `R${randomUUID()}`), kind: 'memory', text: t, vec32: new Uint8Array(builtInEmbedding(t).vector.buffer) };
        puts.push(await metered(() => connection.documents.send(new PutCommand({ TableName: tableName, Item: item }))));
      },
    ]);
    const remember = { ms: median(remembers.map((r) => r.ms)), write: median(remembers.map((r) => r.write)) };
    const put = { ms: median(puts.map((r) => r.ms)), write: median(puts.map((r) => r.write)) };
    // A transaction of five (record, vector, audit entry, version, access check) against one Put.
    rows.push(row('10 remember one record: latency (vs PutItem of the record)', ms(remember.ms), ms(put.ms), remember.ms / put.ms, { max: 4 }));
    rows.push(row('10 remember one record: write units (vs PutItem of the record)', `${remember.write} WCU`, `${put.write} WCU`, remember.write / put.write));
    data['remember'] = { remember, put };

    for (const count of sizes.recallScopes) {
      const userId = `scope-${count}-${randomUUID().slice(0, 6)}`;
      const seedStart = Date.now();
      const records = Array.from({ length: count }, () => ({ text: text() }));
      const seeder = newProcess();
      for (let i = 0; i < records.length; i += 100) {
        await seeder.memories.remember(parseRememberRequest({ scope: 'user', userId, records: records.slice(i, i + 100) }));
      }
      log(`  seeded ${count.toLocaleString('en')} records in ${((Date.now() - seedStart) / 1000).toFixed(0)} s`);
      const request = () => parseRecallRequest({ scope: 'user', userId, query: text(), k: 10 });
      const warmProcess = newProcess();
      await (await warmProcess.memories.recall(request())).accessRecorded;
      const cold: Array<{ ms: number; read: number; write: number; accessMs: number }> = [];
      const warm: Array<{ ms: number; read: number; write: number; accessMs: number }> = [];
      const raw: Array<{ ms: number; read: number }> = [];
      await interleaved(sizes.recallRounds, [
        async () => {
          // A process that has recalled before (it knows whether the table has a vector index), meeting this scope first.
          const fresh = newProcess();
          await (await fresh.memories.recall(parseRecallRequest({ scope: 'user', userId: rememberUser, query: text() }))).accessRecorded;
          cold.push(await recallMetered(fresh, request()));
        },
        async () => {
          warm.push(await recallMetered(warmProcess, request()));
        },
        async () => {
          raw.push(await metered(async () => {
            const pages = queryPages(connection.documents, {
              TableName: tableName,
              KeyConditionExpression: '#pk = :pk AND begins_with(#sk, :prefix)',
              ExpressionAttributeNames: { '#pk': attribute.partitionKey, '#sk': attribute.sortKey },
              ExpressionAttributeValues: { ':pk': key.userPartition(userId), ':prefix': prefix.memoryVector },
              ConsistentRead: true,
            });
            for await (const page of pages) void page;
          }));
        },
      ]);
      const m = (xs: Array<{ ms: number; read: number }>) => ({ ms: median(xs.map((x) => x.ms)), read: median(xs.map((x) => x.read)) });
      const [c, w, r] = [m(cold), m(warm), m(raw)];
      const label = `${count.toLocaleString('en')} records`;
      // Cold: the scope's vectors (with its version), then the candidates: one round trip more than
      // the raw Query, which only matters in small scopes. Warm: the version item and the candidates.
      rows.push(row(`10 recall k=10, ${label}, cold: latency (vs raw Query of its vectors)`, ms(c.ms), ms(r.ms), c.ms / r.ms, { max: count >= 1000 ? 1.5 : 2.5 }));
      rows.push(row(`10 recall k=10, ${label}, warm: latency (vs raw Query of its vectors)`, ms(w.ms), ms(r.ms), w.ms / r.ms, { max: count >= 1000 ? 0.5 : 3 }));
      rows.push(row(`10 recall k=10, ${label}, cold: read units (vs raw Query)`, `${c.read} RCU`, `${r.read} RCU`, c.read / r.read, { max: count >= 1000 ? 1.2 : 3 }));
      rows.push(row(`10 recall k=10, ${label}, warm: read units (vs raw Query)`, `${w.read} RCU`, `${r.read} RCU`, w.read / r.read, count >= 1000 ? { max: 0.2 } : undefined));
      const access = { ms: median(warm.map((x) => x.accessMs)), write: median(warm.map((x) => x.write)) };
      rows.push(row(`10 recall k=10, ${label}: access counts, after the results`, `${ms(access.ms)}, ${access.write} WCU`, '—', undefined));
      data[`scope${count}`] = { cold: c, warm: w, raw: r, access };
    }

    // recall@10 of the product: recall with similarity alone against exact float32 cosine
    const largest = sizes.recallScopes[sizes.recallScopes.length - 1]!;
    const userId = `agreement-${randomUUID().slice(0, 6)}`;
    const texts = Array.from({ length: largest }, () => text());
    const seeder = newProcess();
    const ids: string[] = [];
    for (let i = 0; i < texts.length; i += 100) {
      ids.push(...(await seeder.memories.remember(parseRememberRequest({ scope: 'user', userId, records: texts.slice(i, i + 100).map((t) => ({ text: t })) }))).map((r) => r.id));
    }
    const vectors = texts.map((t) => builtInEmbedding(t).vector);
    let agreed = 0;
    for (let q = 0; q < sizes.recallQueries; q++) {
      const query = text();
      const qv = builtInEmbedding(query).vector;
      const exact = vectors
        .map((v, i) => ({ i, s: v.reduce((sum, x, d) => sum + x * qv[d]!, 0) }))
        .sort((a, b) => b.s - a.s)
        .slice(0, 10)
        .map((e) => ids[e.i]!);
      const result = await seeder.memories.recall(parseRecallRequest({ scope: 'user', userId, query, k: 10, weights: { similarity: 1, recency: 0, importance: 0 } }));
      await result.accessRecorded;
      const got = new Set(result.memories.map((m) => m.id));
      agreed += exact.filter((id) => got.has(id)).length;
    }
    const recallAt10 = agreed / (sizes.recallQueries * 10);
    rows.push(row(`10 recall@10 of recall vs exact float32 cosine, ${largest.toLocaleString('en')} records, 384 dims`, recallAt10.toFixed(3), '1.000', recallAt10, { min: 0.99 }));
    data['recallAt10'] = { records: largest, queries: sizes.recallQueries, recallAt10 };
    return { rows, data };
  } finally {
    connection.client.destroy();
  }
}
