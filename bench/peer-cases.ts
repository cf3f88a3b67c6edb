/**
 * Case 7, the one-item-per-session design as a peer: LangChain JS's DynamoDBChatMessageHistory
 * (@langchain/community; Flowise's DynamoDB memory node builds on it), as shipped, on a table of its
 * own on the same DynamoDB Local. It keeps a session as one item `{ id, messages: [...] }`:
 * addMessage is one UpdateItem appending with list_append (DynamoDB rewrites, and bills, the whole
 * item), getMessages one GetItem of the whole item. Ours: the core's ChatMemory (store, and the
 * newest 20), and the nodes as a reference. docs/peer-comparison.md has the figures.
 */
import { CreateTableCommand, waitUntilTableExists, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { DynamoDBChatMessageHistory } from '@langchain/community/stores/message/dynamodb';
import { AIMessage, HumanMessage } from '@langchain/core/messages';
import { ChatMemory } from '../lib/memory/chat-memory';
import { connect } from '../lib/memory/connection';
import { itemBytes } from '../lib/memory/item-size';
import { nextMessageUlid } from '../lib/memory/message-ids';
import type { Role } from '../lib/memory/message-record';
import type { Sizes } from './cases';
import { clientConfig, credentials, messageItem, sampleText, seedSession, type Engine } from './engine';
import { nodeHistory, nodeStore } from './node-cases';
import type { NodeRuntime } from './node-runtime';
import { ms, row, type Row } from './report';
import { writeUnitsPerMessage } from './write-units';
import { interleaved, median, timed } from './stats';

/**
 * Session lengths, in messages of 200 characters. The peer's item passes DynamoDB's 400 KB at about
 * 1,724 of them, so 1,700 plus the few stores into one session stay under it.
 */
const lengths = [10, 100, 1_000, 1_700];
const historyLimit = 20;
const peerBatch = 100;

/** Message i of a conversation: 200 characters, user and assistant in turn. */
const chatText = (i: number) => `#${i} ${sampleText.repeat(3)}`.slice(0, 200);
const ourMessage = (i: number) => ({ role: (i % 2 ? 'assistant' : 'user') as Role, content: chatText(i) });
const peerMessage = (i: number) => (i % 2 ? new AIMessage(chatText(i)) : new HumanMessage(chatText(i)));

const n = (v: number) => v.toLocaleString('en');

type SideName = 'core' | 'node' | 'peer';

interface Side {
  name: SideName;
  /** Stores one user message into the `session`-th store session of this length. */
  store(length: number, session: number, text: string): Promise<unknown>;
  /** Loads from the load session of this length; returns the messages read. */
  load(length: number): Promise<number>;
}

/** The table the peer expects with its default partition key `id`, no sort key; on-demand. */
async function createPeerTable(client: DynamoDBClient, tableName: string): Promise<void> {
  await client.send(new CreateTableCommand({
    TableName: tableName,
    BillingMode: 'PAY_PER_REQUEST',
    AttributeDefinitions: [{ AttributeName: 'id', AttributeType: 'S' }],
    KeySchema: [{ AttributeName: 'id', KeyType: 'HASH' }],
  }));
  await waitUntilTableExists({ client, maxWaitTime: 60, minDelay: 1 }, { TableName: tableName });
}

/** Through its own addMessages, `peerBatch` messages a call. */
async function seedPeer(history: DynamoDBChatMessageHistory, count: number): Promise<void> {
  for (let from = 0; from < count; from += peerBatch) {
    await history.addMessages(Array.from({ length: Math.min(peerBatch, count - from) }, (_, k) => peerMessage(from + k)));
  }
}

export async function peerComparison(engine: Engine, runtime: NodeRuntime, sizes: Sizes, log: (s: string) => void) {
  const { raw, tableName } = engine;
  const endpoint = engine.local.endpoint;
  const peerTable = `${tableName}-peer`;
  await createPeerTable(raw.client, peerTable);
  // The core as the config node builds it: the pack's own connection settings.
  const connection = connect({
    region: 'us-east-1', endpoint, authentication: { type: 'keys', ...credentials }, requestTimeoutMs: 30_000, maxAttempts: 3,
  });
  const memory = new ChatMemory({ documents: connection.documents, tableName });
  // Each side stores into fresh sessions of each length, a few messages each, so they stay at about that length.
  const { peerSessions: sessionsPerLength, peerStoresPerSession: storesPerSession } = sizes;
  const ourSession = (side: SideName, length: number, session: number) => `peer-${side}-${length}-${session}`;
  const ourLoadSession = (length: number) => `peer-load-${length}`;
  const peerHistory = (sessionId: string) =>
    new DynamoDBChatMessageHistory({ tableName: peerTable, sessionId, partitionKey: 'id', config: clientConfig(endpoint) });
  const peerStores = new Map<number, DynamoDBChatMessageHistory[]>();
  const peerLoads = new Map<number, DynamoDBChatMessageHistory>();

  const seeding = { ours: 0, peer: 0 };
  for (const length of lengths) {
    for (const side of ['core', 'node'] as const) {
      for (let s = 0; s < sessionsPerLength; s++) {
        seeding.ours += await seedSession(raw, tableName, ourSession(side, length, s), length, { message: ourMessage });
      }
    }
    seeding.ours += await seedSession(raw, tableName, ourLoadSession(length), length, { message: ourMessage });
    const started = process.hrtime.bigint();
    const stores = Array.from({ length: sessionsPerLength }, (_, s) => peerHistory(`store-${length}-${s}`));
    const load = peerHistory(`load-${length}`);
    for (const history of [...stores, load]) await seedPeer(history, length);
    peerStores.set(length, stores);
    peerLoads.set(length, load);
    seeding.peer += Number(process.hrtime.bigint() - started) / 1e9;
  }
  log(`  seeded ${n(lengths.reduce((a, b) => a + b, 0) * (2 * sessionsPerLength + 1))} of our messages in ${seeding.ours.toFixed(1)} s, `
    + `${sessionsPerLength + 1} peer items of each length in ${seeding.peer.toFixed(1)} s`);
  const peerItemBytes = async (id: string) => itemBytes((await raw.documents.send(new GetCommand({ TableName: peerTable, Key: { id } }))).Item!);
  const peerItems = Object.fromEntries(await Promise.all(lengths.map(async (length) => [length, await peerItemBytes(`load-${length}`)] as const)));
  const ourMessageBytes = itemBytes(messageItem(ourSession('core', 1_000, 0), nextMessageUlid(Date.now()), new Date().toISOString(), chatText(0)));

  const sides: Side[] = [
    {
      name: 'core',
      store: (length, s, text) => memory.store({ sessionId: ourSession('core', length, s), role: 'user', payload: text }),
      load: async (length) => (await memory.history({ sessionId: ourLoadSession(length), limit: historyLimit })).length,
    },
    {
      name: 'node',
      store: (length, s, text) => nodeStore(runtime, ourSession('node', length, s), text),
      load: async (length) => (await nodeHistory(runtime, ourLoadSession(length))).length,
    },
    {
      name: 'peer',
      store: (length, s, text) => peerStores.get(length)![s]!.addMessage(new HumanMessage(text)),
      load: async (length) => (await peerLoads.get(length)!.getMessages()).length,
    },
  ];
  const samples: Record<string, number[]> = {};
  const calls: Record<string, number> = {};
  // A round is one timed store and its loads per side and length: fine-grained, so a burst of load
  // on the shared machine hits every side alike.
  const steps = lengths.flatMap((length) => sides.map((side) => async () => {
    const id = `${side.name}-${length}`;
    const call = (calls[id] ??= 0);
    calls[id]++;
    const session = Math.floor(call / storesPerSession);
    const nth = call % storesPerSession;
    if (nth === 0) {
      // Untimed on every side: each peer instance has an SDK client of its own, whose first call
      // opens a connection.
      await side.store(length, session, chatText(length));
    }
    (samples[`${id}-store`] ??= []).push(await timed(() => side.store(length, session, chatText(length + 1 + nth))));
    const expected = side.name === 'peer' ? length : Math.min(historyLimit, length);
    for (let i = 0; i < sizes.peerLoadsPerStore; i++) {
      (samples[`${id}-load`] ??= []).push(await timed(async () => {
        const read = await side.load(length);
        if (read !== expected) throw new Error(`${side.name} load of ${length}: got ${read} messages`);
      }));
    }
  }));
  try {
    await interleaved(storesPerSession, steps, { shuffled: true }); // warm-up, on the first sessions: JIT, sockets, the runtime's first messages
    for (const key of Object.keys(samples)) samples[key] = [];
    await interleaved((sessionsPerLength - 1) * storesPerSession, steps, { shuffled: true });
  } finally {
    await memory.close();
    connection.client.destroy();
    // The peer's client is private to each instance; its sockets are closed here all the same.
    for (const history of [...[...peerStores.values()].flat(), ...peerLoads.values()]) {
      (history as unknown as { client: DynamoDBClient }).client.destroy();
    }
  }
  const largest = lengths[lengths.length - 1]!;
  const peerLargestBytes = await peerItemBytes(`store-${largest}-0`);

  // The load sessions are the peer's at each length: one store more each, for what it is billed.
  const units = await writeUnitsPerMessage(engine, peerTable, lengths);
  const medians = Object.fromEntries(Object.entries(samples).map(([k, v]) => [k, median(v)]));
  const m = (side: SideName, length: number, op: 'store' | 'load') => medians[`${side}-${length}-${op}`]!;
  const storeTarget = (length: number) => (length <= 100 ? { max: 1.0 } : undefined);
  const loadTarget = (length: number) => (length <= 100 ? { max: 1.0 } : length === 1_000 ? { max: 0.25 } : undefined);
  const rows: Row[] = lengths.flatMap((length) => {
    const kb = `${(peerItems[length]! / 1024).toFixed(0)} KB`;
    const ratio = (side: SideName, op: 'store' | 'load') => m(side, length, op) / m('peer', length, op);
    return [
      row(`7  store into ${n(length)} (peer item ${kb}), core ÷ LangChain addMessage`,
        ms(m('core', length, 'store')), ms(m('peer', length, 'store')), ratio('core', 'store'), storeTarget(length)),
      row(`7b store into ${n(length)}, store node ÷ LangChain addMessage (reference)`,
        ms(m('node', length, 'store')), ms(m('peer', length, 'store')), ratio('node', 'store')),
      row(`7  load from ${n(length)}, core newest ${historyLimit} ÷ LangChain getMessages (all)`,
        ms(m('core', length, 'load')), ms(m('peer', length, 'load')), ratio('core', 'load'), loadTarget(length)),
      row(`7b load from ${n(length)}, history node ÷ LangChain getMessages (reference)`,
        ms(m('node', length, 'load')), ms(m('peer', length, 'load')), ratio('node', 'load')),
    ];
  });
  rows.push(...units.rows);
  return {
    rows,
    data: {
      writeUnits: units.data,
      peer: `@langchain/community ${require('@langchain/community/package.json').version as string} DynamoDBChatMessageHistory`,
      lengths,
      medianMs: medians,
      samples: Object.fromEntries(Object.entries(samples).map(([k, v]) => [k, v.length])),
      peerItemBytes: peerItems,
      peerLargestItemBytes: { messages: largest + 1 + storesPerSession, bytes: peerLargestBytes },
      ourMessageItemBytes: ourMessageBytes,
      seedingSeconds: seeding,
    },
  };
}
