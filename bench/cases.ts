/**
 * Each case measured on both sides in the same run, in interleaved rounds (ours, raw, raw…, then
 * rotated), on the same DynamoDB Local.
 */
import type { ForgetSizes } from './forget-user';
import type { RecallSizes } from './recall-case';
import { sampleText, seedSession, type Engine } from './engine';
import { nodeClear, nodeContext, nodeHistory, nodeStore } from './node-cases';
import { runMemoryCase } from './memory-case';
import type { NodeRuntime } from './node-runtime';
import { rawClear, rawClearParallelism, rawHistory, rawParallelWrites, rawPut, rawTransaction } from './raw-cases';
import { ms, row, type Row } from './report';
import { interleaved, median, throughput, timed } from './stats';

export interface Sizes extends ForgetSizes, RecallSizes {
  storeRounds: number;
  storePerRound: number;
  throughputRounds: number;
  throughputPerRound: number;
  historySessions: number[];
  historyRounds: number;
  historyPerRound: number;
  clearRounds: number;
  memoryMessages: number;
  contextMessages: number;
  contextRounds: number;
  contextPerRound: number;
  /** Case 7: fresh store sessions a side has of each length (the first for the warm-up)… */
  peerSessions: number;
  /** …timed stores into each (one a round), and timed loads after each store. */
  peerStoresPerSession: number;
  peerLoadsPerStore: number;
}

const perSecond = (v: number) => `${Math.round(v)} msg/s`;

export async function storeOverhead(engine: Engine, runtime: NodeRuntime, sizes: Sizes) {
  const { raw, tableName } = engine;
  const samples = { node: [] as number[], put: [] as number[], transaction: [] as number[], parallel: [] as number[] };
  const side = (name: keyof typeof samples, fn: (session: string, i: number) => Promise<unknown>) => async (round: number) => {
    for (let i = 0; i < sizes.storePerRound; i++) {
      samples[name].push(await timed(() => fn(`store-${name}-${round % 4}`, i)));
    }
  };
  const sides = [
    side('node', (s, i) => nodeStore(runtime, s, `${sampleText} ${i}`)),
    side('put', (s, i) => rawPut(raw, tableName, s, `${sampleText} ${i}`)),
    side('transaction', (s, i) => rawTransaction(raw, tableName, s, `${sampleText} ${i}`)),
    side('parallel', (s, i) => rawParallelWrites(raw, tableName, s, `${sampleText} ${i}`)),
  ];
  // Every side's sessions exist before the first timed store, as they do for a chat's later turns.
  await Promise.all(Object.keys(samples).flatMap((name) => [0, 1, 2, 3].map((round) => nodeStore(runtime, `store-${name}-${round}`, sampleText))));
  await interleaved(1, sides); // warm-up: JIT, sockets, the runtime's first messages
  for (const list of Object.values(samples)) list.length = 0;
  await interleaved(sizes.storeRounds, sides);
  const node = median(samples.node);
  const put = median(samples.put);
  const transaction = median(samples.transaction);
  const parallel = median(samples.parallel);
  const rows: Row[] = [
    row('1a store, sequential median, vs raw PutCommand', ms(node), ms(put), node / put, { max: 1.1 }),
    row('1b store, sequential median, vs raw same TransactWrite', ms(node), ms(transaction), node / transaction, { max: 1.1 }),
    row('1c (engine) raw TransactWrite vs raw PutCommand', ms(transaction), ms(put), transaction / put),
    row('1d (engine) raw Put and Update at once, no transaction, vs raw TransactWrite', ms(parallel), ms(transaction), parallel / transaction),
  ];
  return { rows, data: { medianMs: { node, put, transaction, parallel }, samples: Object.fromEntries(Object.entries(samples).map(([k, v]) => [k, v.length])) } };
}

export async function concurrentThroughput(engine: Engine, runtime: NodeRuntime, sizes: Sizes) {
  const { raw, tableName } = engine;
  const concurrency = 32;
  const rates = { node: [] as number[], transaction: [] as number[], put: [] as number[] };
  const side = (name: keyof typeof rates, fn: (session: string, i: number) => Promise<unknown>) => async () => {
    rates[name].push(await throughput(concurrency, sizes.throughputPerRound, (loop, i) => fn(`tp-${name}-${loop}`, i)));
  };
  const sides = [
    side('node', (s, i) => nodeStore(runtime, s, `${sampleText} ${i}`)),
    side('transaction', (s, i) => rawTransaction(raw, tableName, s, `${sampleText} ${i}`)),
    side('put', (s, i) => rawPut(raw, tableName, s, `${sampleText} ${i}`)),
  ];
  // Sessions exist before the first timed store, as they do for a chat's later turns.
  await Promise.all(Object.keys(rates).flatMap((name) => Array.from({ length: concurrency }, (_, loop) => nodeStore(runtime, `tp-${name}-${loop}`, sampleText))));
  await interleaved(1, sides);
  for (const list of Object.values(rates)) list.length = 0;
  await interleaved(sizes.throughputRounds, sides);
  const node = median(rates.node);
  const transaction = median(rates.transaction);
  const put = median(rates.put);
  return {
    rows: [
      row('3  throughput, 32 concurrent flows, vs raw same TransactWrite', perSecond(node), perSecond(transaction), node / transaction, { min: 0.9 }),
      row('3b (reference) vs raw PutCommand, 32 concurrent', perSecond(node), perSecond(put), node / put),
    ],
    data: { medianPerSecond: { node, transaction, put }, rounds: rates },
  };
}

export async function flatHistory(engine: Engine, runtime: NodeRuntime, sizes: Sizes, log: (s: string) => void) {
  const { raw, tableName } = engine;
  const seeding: Record<number, number> = {};
  for (const size of sizes.historySessions) {
    seeding[size] = await seedSession(raw, tableName, `history-${size}`, size, size >= 300_000
      ? { progress: (done, seconds) => log(`    ${done.toLocaleString('en')} of ${size.toLocaleString('en')} in ${seconds.toFixed(0)} s`) }
      : {});
    log(`  seeded ${size.toLocaleString('en')} messages in ${seeding[size]!.toFixed(1)} s (${Math.round(size / seeding[size]!)} items/s)`);
  }
  const samples: Record<string, number[]> = {};
  const sides = sizes.historySessions.flatMap((size) => [
    async () => {
      const list = (samples[`node-${size}`] ??= []);
      for (let i = 0; i < sizes.historyPerRound; i++) {
        list.push(await timed(async () => {
          const history = await nodeHistory(runtime, `history-${size}`);
          if (history.length !== Math.min(20, size)) throw new Error(`history of ${size}: got ${history.length}`);
        }));
      }
    },
    async () => {
      const list = (samples[`raw-${size}`] ??= []);
      for (let i = 0; i < sizes.historyPerRound; i++) list.push(await timed(() => rawHistory(raw, tableName, `history-${size}`)));
    },
  ]);
  await interleaved(1, sides);
  for (const k of Object.keys(samples)) samples[k] = [];
  await interleaved(sizes.historyRounds, sides);
  const medians = Object.fromEntries(Object.entries(samples).map(([k, v]) => [k, median(v)]));
  const rows: Row[] = sizes.historySessions.map((size) =>
    row(`2  history, last 20 of ${size.toLocaleString('en')}, vs raw Query`, ms(medians[`node-${size}`]!), ms(medians[`raw-${size}`]!), medians[`node-${size}`]! / medians[`raw-${size}`]!),
  );
  const smallest = sizes.historySessions[0]!;
  const largest = sizes.historySessions[sizes.historySessions.length - 1]!;
  const oursFlat = medians[`node-${largest}`]! / medians[`node-${smallest}`]!;
  const rawFlat = medians[`raw-${largest}`]! / medians[`raw-${smallest}`]!;
  rows.push(
    row(`2  flat history: cost at ${largest.toLocaleString('en')} ÷ at ${smallest} (ratio = ours)`, oursFlat.toFixed(2), rawFlat.toFixed(2), oursFlat, { max: 1.2 }),
  );
  return { rows, data: { medianMs: medians, seedingSeconds: seeding } };
}

export async function clearSession(engine: Engine, runtime: NodeRuntime, sizes: Sizes, log: (s: string) => void) {
  const { raw, tableName } = engine;
  const count = 10_000;
  const rates = { node: [] as number[], raw: [] as number[], rawUnreported: [] as number[] };
  let n = 0;
  const side = (name: keyof typeof rates, clear: (session: string) => Promise<number>) => async () => {
    const session = `clear-${name}-${n++}`;
    await seedSession(raw, tableName, session, count);
    const started = process.hrtime.bigint();
    const deleted = await clear(session);
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    if (deleted < count) throw new Error(`clear ${name}: deleted ${deleted} of ${count}`);
    rates[name].push(count / seconds);
    log(`  clear ${name}: ${count} messages in ${seconds.toFixed(2)} s`);
  };
  await interleaved(sizes.clearRounds, [
    side('node', (s) => nodeClear(runtime, s)),
    side('raw', (s) => rawClear(raw, tableName, s, { consumedCapacity: true })),
    side('rawUnreported', (s) => rawClear(raw, tableName, s)),
  ]);
  const node = median(rates.node);
  const rawRate = median(rates.raw);
  const unreported = median(rates.rawUnreported);
  return {
    rows: [
      row(`4  clear 10,000 messages, vs raw Query + BatchWrite (${rawClearParallelism} in flight), both asking for consumed capacity`,
        perSecond(node), perSecond(rawRate), node / rawRate, { min: 0.8 }),
      row('4b (engine) raw clear asking for consumed capacity vs not asking', perSecond(rawRate), perSecond(unreported), rawRate / unreported),
    ],
    data: { messagesPerSecond: { node, raw: rawRate, rawUnreported: unreported }, rounds: rates, rawParallelism: rawClearParallelism },
  };
}

/**
 * Case 5 on a plain Node-RED (child processes, driven over HTTP), against a control flow without our
 * nodes. The target is judged on the RSS after a full GC forced through the inspector: what the
 * process keeps. The RSS read without forcing one (10 s idle, the minimum of six samples) is shown
 * too; it depends on when V8 next collects and on how far it grew its heap under load, and the
 * control, without any of our nodes, moves the same way.
 */
export async function memoryGrowth(engine: Engine, sizes: Sizes, log: (s: string) => void) {
  const result = await runMemoryCase(engine, sizes.memoryMessages, log);
  const mb = (v: number) => `${(v / 2 ** 20).toFixed(1)} MB`;
  const n = result.count.toLocaleString('en');
  const { ours, control } = result;
  return {
    rows: [
      row(`5  Node-RED RSS after a forced GC, after ${n} store+history (HTTP) ÷ after 1,000 (raw = control)`,
        `${mb(ours.gcAtEnd.rss)} (${mb(ours.gcAtFirst.rss)})`, `${mb(control.gcAtEnd.rss)} (${mb(control.gcAtFirst.rss)})`,
        ours.gcAtEnd.rss / ours.gcAtFirst.rss, { max: 1.1 }),
      row(`5b heap in use after a forced GC, ours ÷ at 1,000 (raw = control)`, `${mb(ours.gcAtEnd.heapUsed)} (${mb(ours.gcAtFirst.heapUsed)})`,
        `${mb(control.gcAtEnd.heapUsed)} (${mb(control.gcAtFirst.heapUsed)})`, ours.gcAtEnd.heapUsed / ours.gcAtFirst.heapUsed),
      row(`5c RSS without a forced GC, ours ÷ at 1,000 (raw = control)`, `${mb(ours.rssAtEnd)} (${mb(ours.rssAtFirst)})`,
        `${mb(control.rssAtEnd)} (${mb(control.rssAtFirst)})`, ours.rssAtEnd / ours.rssAtFirst),
      row(`5d (control) RSS without a forced GC, http in → function → http response, ÷ at 1,000`, '—',
        `${mb(control.rssAtEnd)} (${mb(control.rssAtFirst)})`, control.rssAtEnd / control.rssAtFirst),
    ],
    data: result,
  };
}

/**
 * Case 6: the context node builds the context for a new message in a big session with an 8,000-token
 * budget (no user: no preferences or facts to read); the raw side loads the same number of newest
 * messages with one descending Query. The difference is the node's paging, tokenizing and assembly.
 */
export async function contextBuild(engine: Engine, runtime: NodeRuntime, sizes: Sizes, log: (s: string) => void) {
  const { raw, tableName } = engine;
  const session = `context-${sizes.contextMessages}`;
  const seconds = await seedSession(raw, tableName, session, sizes.contextMessages);
  log(`  seeded ${sizes.contextMessages.toLocaleString('en')} messages in ${seconds.toFixed(1)} s`);
  let included = 0;
  let tokens = 0;
  const samples = { node: [] as number[], raw: [] as number[] };
  const sides = [
    async () => {
      for (let i = 0; i < sizes.contextPerRound; i++) {
        samples.node.push(await timed(async () => {
          const context = await nodeContext(runtime, session, `${sampleText} (new)`);
          included = context.history.count;
          tokens = context.totalTokens;
        }));
      }
    },
    async () => {
      for (let i = 0; i < sizes.contextPerRound; i++) {
        samples.raw.push(await timed(async () => {
          const messages = await rawHistory(raw, tableName, session, included);
          if (messages.length !== included) throw new Error(`raw context load: got ${messages.length} of ${included}`);
        }));
      }
    },
  ];
  await interleaved(1, sides); // warm-up; also tells the raw side how many messages the context holds
  samples.node.length = 0;
  samples.raw.length = 0;
  await interleaved(sizes.contextRounds, sides);
  const node = median(samples.node);
  const rawMs = median(samples.raw);
  const n = sizes.contextMessages.toLocaleString('en');
  return {
    rows: [row(`6  context, 8,000 tokens, session of ${n} (${included} messages fit), vs raw Query of them`, ms(node), ms(rawMs), node / rawMs)],
    data: { medianMs: { node, raw: rawMs }, messagesIncluded: included, totalTokens: tokens, seedingSeconds: seconds },
  };
}
