/**
 * Case 8: write units per stored message, billed as DynamoDB bills them (1 WCU per KB of the item,
 * the larger of before and after for an update, twice for an item written in a transaction), by
 * the tests' partition-throughput simulator in front of the bench's DynamoDB Local: its own
 * figures for transactions are not AWS's. Ours in each mode, and the one-item-per-session peer at
 * each session length (its store rewrites the whole session item).
 */
import { DynamoDBChatMessageHistory } from '@langchain/community/stores/message/dynamodb';
import { HumanMessage } from '@langchain/core/messages';
import { ChatMemory } from '../lib/memory/chat-memory';
import { connect } from '../lib/memory/connection';
import { prefix } from '../lib/memory/table-layout';
import { startFaultProxy } from '../test/support/fault-proxy';
import { scaledLimits } from '../test/support/partition-budget';
import { partitionThrottling } from '../test/support/partition-throttling';
import { clientConfig, credentials, type Engine } from './engine';
import { row, type Row } from './report';

const storesPerMode = 5;
const text = (i: number) => `#${i} `.padEnd(200, 'x');

/** Write units the simulator billed on the table while `work` ran, leaving out the counter items' flushes. */
async function billedDuring(simulator: ReturnType<typeof partitionThrottling>, work: () => Promise<unknown>): Promise<number> {
  const total = () => simulator.budget.partitions().filter((p) => !p.pk.startsWith(prefix.stats)).reduce((sum, p) => sum + p.writeUnits, 0);
  const before = total();
  await work();
  return total() - before;
}

export async function writeUnitsPerMessage(engine: Engine, peerTable: string, peerLengths: number[]): Promise<{ rows: Row[]; data: unknown }> {
  const proxy = await startFaultProxy(engine.local.endpoint);
  // DynamoDB's own per-key limits: the stores here come nowhere near them.
  const simulator = (proxy.partitions = partitionThrottling(scaledLimits(1)));
  const connection = connect({
    region: 'us-east-1', endpoint: proxy.endpoint, authentication: { type: 'keys', ...credentials }, requestTimeoutMs: 30_000, maxAttempts: 3,
  });
  const memory = new ChatMemory({ documents: connection.documents, tableName: engine.tableName });
  try {
    const modes = { plain: {}, userId: { userId: 'wcu-user' }, messageId: {} } as const;
    const ours: Record<string, number> = {};
    for (const [mode, extra] of Object.entries(modes)) {
      const sessionId = `wcu-${mode}`;
      const store = (i: number) => memory.store({ sessionId, role: 'user', payload: text(i), ...extra, ...(mode === 'messageId' ? { messageId: `m${i}` } : {}) });
      await store(0); // the session's first store also creates it
      ours[mode] = (await billedDuring(simulator, async () => {
        for (let i = 1; i <= storesPerMode; i++) await store(i);
      })) / storesPerMode;
    }
    const peer: Record<number, number> = {};
    for (const length of peerLengths) {
      const history = new DynamoDBChatMessageHistory({ tableName: peerTable, sessionId: `load-${length}`, partitionKey: 'id', config: clientConfig(proxy.endpoint) });
      try {
        peer[length] = await billedDuring(simulator, () => history.addMessage(new HumanMessage(text(length))));
      } finally {
        (history as unknown as { client: { destroy(): void } }).client.destroy();
      }
    }
    const rows: Row[] = [
      row('8  write units per stored message (billed by item size), ours', `${ours['plain']} WCU`, '—', ours['plain']!, { max: 4 }),
      row('8  … with a userId (+2 WCU on gsi1 on paper: the session\'s index entry moves)', `${ours['userId']} + 2 WCU`, '—', ours['userId']! + 2),
      row('8  … with a messageId (its guard item)', `${ours['messageId']} WCU`, '—', ours['messageId']!),
      ...peerLengths.map((length) => row(`8  write units per store into ${length.toLocaleString('en')}: ours ÷ LangChain addMessage`,
        `${ours['plain']} WCU`, `${peer[length]} WCU`, ours['plain']! / peer[length]!)),
    ];
    return { rows, data: { ours, peer, storesPerMode } };
  } finally {
    await memory.close();
    connection.client.destroy();
    await proxy.close();
  }
}
