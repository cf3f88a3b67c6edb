/**
 * The clear node set to forget a user: the msg goes on with the job's progress on output 2 once the
 * user's data is refused, progress follows there, and the msg comes out of output 1 at the end; a job
 * paused by a redeploy resumes when the flow starts again and is reported from there.
 */
import assert from 'node:assert/strict';
import { ChatMemory } from '../../lib/memory/chat-memory';
import { parseStoreRequest } from '../../lib/schemas/store-request';
import { localConnection, scanTable, uniqueName } from '../support/memory-table';
import { loadMemoryFlow, startNodeRed, stopNodeRed, unloadFlow, type MemoryFlow, type Msg } from '../support/node-flow';

/** `sessions` sessions of `messages` messages of a new user, written through the core. */
async function seedUser(tableName: string, sessions: number, messages: number): Promise<string> {
  const userId = uniqueName('forget');
  const seeding = localConnection();
  try {
    const memory = new ChatMemory({ documents: seeding.documents, tableName });
    for (let s = 0; s < sessions; s++) {
      for (let i = 0; i < messages; i += 500) {
        await memory.store(parseStoreRequest({ sessionId: `${userId}-${s}`, userId, role: 'user', payload: Array.from({ length: 500 }, (_, k) => `m${i + k}`) }));
      }
    }
    await memory.close();
  } finally {
    seeding.client.destroy();
  }
  return userId;
}

/** Every msg the node sends on output `n` (1 or 2) from now on. */
function collect(flow: MemoryFlow, nodeId: string, n: 1 | 2): Msg[] {
  const msgs: Msg[] = [];
  flow.node(`${nodeId}-out${n === 1 ? '' : '2'}`).on('input', (m: Msg) => msgs.push(m));
  return msgs;
}

const forgetNodes = [{ id: 'forget', type: 'dynamodb-memory-clear' as const, scope: 'user' }];

describe('clear node: forget user as a job', function () {
  this.timeout(120_000);
  before(startNodeRed);
  after(stopNodeRed);
  afterEach(unloadFlow);

  it('sends the progress on output 2 first, and the msg on output 1 when everything is deleted', async () => {
    const flow = await loadMemoryFlow(forgetNodes);
    const userId = await seedUser(flow.tableName, 3, 1000);
    const progress = collect(flow, 'forget', 2);
    const outcome = await flow.run('forget', { userId, payload: 'forget me', topic: 'gdpr' });
    assert.equal(outcome.error, undefined);
    const end = outcome.sent!;
    const first = progress[0]!;
    assert.equal(first['_msgid'], end['_msgid'], 'progress carries the msg');
    assert.equal(first['topic'], 'forget');
    assert.deepEqual({ ...(first['payload'] as Msg), startedAt: undefined }, {
      userId, startedAt: undefined, state: 'running', sessions: 3, items: 0, deleted: {},
    }, 'refused at once; the items are counted after');
    assert.equal((progress[1]!['payload'] as Msg)['total'], 3004);
    const items = progress.map((m) => (m['payload'] as { items: number }).items);
    assert.deepEqual(items, [...items].sort((a, b) => a - b), 'progress only grows');
    assert.equal(end['payload'], 3004);
    assert.equal(end['topic'], 'gdpr', 'the msg itself comes out of output 1');
    assert.deepEqual((end['memory'] as Msg)['deleted'], { message: 3000, session: 3, user: 1 });
    assert.equal(flow.lastStatus('forget')?.fill, 'green');
    assert.deepEqual((await scanTable(flow.tableName)).filter((i) => JSON.stringify(i).includes(userId)), []);
  });

  it('resumes a job a redeploy paused once the flow starts again, and reports it from there', async () => {
    const first = await loadMemoryFlow(forgetNodes);
    const userId = await seedUser(first.tableName, 4, 1500);
    // The msg goes on with the first progress; the redeploy comes before the job could end.
    const finalBeforeClose = collect(first, 'forget', 1);
    const started = new Promise((resolve) => first.node('forget-out2').once('input', resolve));
    first.node('forget').receive({ userId });
    await started;
    await unloadFlow();
    assert.deepEqual(finalBeforeClose, []);
    const job = (await scanTable(first.tableName)).find((i) => i['pk'] === `USER#${userId}` && i['sk'] === 'FORGET');
    assert.ok(job, 'the paused job is in the table');
    assert.ok(Number(job['items']) < 6005, `paused part way: ${String(job['items'])} deleted`);

    const second = await loadMemoryFlow(forgetNodes, { tableName: first.tableName });
    const ended = await new Promise<Msg>((resolve) => second.node('forget-out').on('input', resolve));
    assert.equal(ended['topic'], 'forget');
    assert.equal((ended['memory'] as Msg)['userId'], userId);
    assert.deepEqual((ended['memory'] as Msg)['deleted'], { message: 6000, session: 4, user: 1 });
    assert.deepEqual((await scanTable(second.tableName)).filter((i) => JSON.stringify(i).includes(userId)), []);
  });
});
