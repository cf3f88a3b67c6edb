/**
 * Forgetting a user as a background job on DynamoDB Local: refused at once, paused by a close and
 * resumed by another process, taken over after a crash, joined by a second forget, counters right
 * at every step, and 0 items left.
 */
import assert from 'node:assert/strict';
import { ChatMemory, type ForgetProgress } from '../../lib/memory/chat-memory';
import type { ForgetJobsOptions } from '../../lib/memory/forget-job';
import { MemoryInputError } from '../../lib/errors/input-errors';
import { parseStoreRequest } from '../../lib/schemas/store-request';
import { memoryTable, scanTable, uniqueName, type MemoryTable } from '../support/memory-table';

/** A ChatMemory of its own: another process on the same table, as far as the job is concerned. */
function process(table: MemoryTable, forgetJobs: ForgetJobsOptions = {}): ChatMemory {
  return new ChatMemory({ documents: table.connection.documents, tableName: table.tableName, forgetJobs });
}

/** A user with `sessions` sessions of `messages` messages, preferences and a graph; returns the user id. */
async function seedUser(memory: ChatMemory, sessions: number, messages: number): Promise<string> {
  const userId = uniqueName('forget');
  for (let s = 0; s < sessions; s++) {
    const sessionId = `${userId}-${s}`;
    for (let i = 0; i < messages; i += 500) {
      const payload = Array.from({ length: Math.min(500, messages - i) }, (_, j) => ({ content: `message ${i + j} of session ${s}` }));
      await memory.store(parseStoreRequest({ sessionId, userId, role: 'user', payload }));
    }
  }
  await memory.preferences.set({ userId, key: 'language', value: 'pt' });
  await memory.graph.upsertEntity({ userId }, { id: 'porto', type: 'city' });
  return userId;
}

async function itemsOf(table: MemoryTable, userId: string): Promise<Record<string, unknown>[]> {
  return (await scanTable(table.tableName)).filter((item) => JSON.stringify(item).includes(userId));
}

/** Every read and write of the user's data that a flow can make, each expected to be refused. */
function everyUse(memory: ChatMemory, userId: string): Array<[string, () => Promise<unknown>]> {
  const sessionId = `${userId}-0`;
  return [
    ['history without a userId', () => memory.history({ sessionId })],
    ['history with the userId', () => memory.history({ sessionId, userId })],
    ['context', () => memory.context({ sessionId, userId, tokenBudget: 1000, payload: 'what do you know?' })],
    ['session statistics', () => memory.sessionStats({ sessionId })],
    ['sessions list', () => memory.listSessions({ userId })],
    ['preferences', () => memory.preferences.get({ userId })],
    ['preference set', () => memory.preferences.set({ userId, key: 'x', value: 1 })],
    ['graph', () => memory.graph.neighbours({ userId }, { id: 'porto' })],
    ['graph write', () => memory.graph.upsertEntity({ userId }, { id: 'lisbon', type: 'city' })],
    ['store into a session of theirs', () => memory.store(parseStoreRequest({ sessionId, role: 'user', payload: 'still there?' }))],
    ['store into a new session', () => memory.store(parseStoreRequest({ sessionId: `${userId}-new`, userId, role: 'user', payload: 'hello again' }))],
  ];
}

/** A user whose forget job paused after its first page (the process closed right after the start). */
async function pausedJob(table: MemoryTable, sessions: number, messages: number): Promise<string> {
  const first = process(table);
  const userId = await seedUser(first, sessions, messages);
  const job = await first.startForgetUser({ userId });
  await first.close();
  await assert.rejects(job.finished, { name: 'ForgetPausedError' });
  return userId;
}

describe('forgetting a user as a job', function () {
  this.timeout(120_000);
  let table: MemoryTable;
  before(async () => (table = await memoryTable()));
  after(() => table.close());

  it('refuses every read and write of the user from the moment the job starts, and nobody else', async () => {
    const userId = await pausedJob(table, 3, 1500);
    const other = process(table);
    const bystander = await seedUser(other, 1, 3);
    for (const [what, use] of everyUse(other, userId)) {
      await assert.rejects(use(), (error: Error) => error instanceof MemoryInputError && /is being forgotten/.test(error.message), what);
    }
    for (const [what, use] of everyUse(other, bystander)) await assert.doesNotReject(use(), what);
    await other.forgetUser({ userId });
    await other.close();
  });

  it('pauses at close and another process resumes it at its start: counters right at every step, 0 items left', async () => {
    const first = process(table);
    const before = await first.tableStats();
    const userId = await seedUser(first, 4, 1200);
    const seeded = await first.tableStats();
    assert.deepEqual([seeded.messages - before.messages, seeded.sessions - before.sessions], [4800, 4]);
    const told: ForgetProgress[] = [];
    first.forgetJobs.onProgress((p) => told.push(p));
    const job = await first.startForgetUser({ userId });
    assert.equal(job.progress.sessions, 4);
    assert.equal(job.progress.total, undefined, 'counting runs after the user is refused');
    const counted = await new Promise<ForgetProgress>((resolve) => first.forgetJobs.onProgress((p) => p.total !== undefined && resolve(p)));
    assert.equal(counted.total, 4800 + 4 + 1 + 2 + 1, 'messages, sessions, the user marker, preference and its change, entity');
    await new Promise((resolve) => setTimeout(resolve, 300));
    await first.close();
    await assert.rejects(job.finished, { name: 'ForgetPausedError' });
    const paused = told.at(-1)!;
    assert.equal(paused.state, 'paused');
    assert.ok(paused.items > 0 && paused.items < paused.total!, `paused part way: ${paused.items} of ${paused.total}`);
    // What the paused job deleted is off the counters already.
    const midway = await process(table).tableStats();
    assert.equal(midway.messages, seeded.messages - (paused.deleted['message'] ?? 0));
    assert.equal(midway.sessions, seeded.sessions - (paused.deleted['session'] ?? 0));

    const second = process(table);
    const done = new Promise<ForgetProgress>((resolve) => second.forgetJobs.onProgress((p, origin) => {
      if (p.state === 'done' && origin.resumed) resolve(p);
    }));
    assert.equal(await second.forgetJobs.resumeUnfinished(), 1);
    const end = await done;
    assert.equal(end.items, end.total, 'every item found at the start was deleted');
    assert.deepEqual(end.deleted, { message: 4800, session: 4, user: 1, preference: 1, 'preference-change': 1, entity: 1 });
    await second.close();
    assert.deepEqual(await itemsOf(table, userId), []);
    const after = await process(table).tableStats();
    assert.deepEqual([after.messages, after.sessions, after.users], [before.messages, before.sessions, before.users]);
  });

  it("takes over a crashed process's job once its lease runs out", async () => {
    // A process whose every call fails from a moment on, as if it had died: its lease stays.
    let crashed = false;
    const documents = new Proxy(table.connection.documents, {
      get: (target, property, receiver) =>
        property === 'send'
          ? (command: never) => (crashed ? Promise.reject(new Error('the process is gone')) : target.send(command))
          : Reflect.get(target, property, receiver),
    });
    const doomed = new ChatMemory({ documents, tableName: table.tableName, forgetJobs: { leaseMs: 1500 } });
    const userId = await seedUser(doomed, 2, 1500);
    const job = await doomed.startForgetUser({ userId });
    crashed = true;
    await assert.rejects(job.finished, /the process is gone/);
    assert.ok((await itemsOf(table, userId)).some((item) => item['sk'] === 'FORGET'), 'the job item stayed');

    const survivor = process(table, { leaseMs: 1500, reportEveryMs: 200 });
    const done = new Promise<ForgetProgress>((resolve) => survivor.forgetJobs.onProgress((p) => p.state === 'done' && resolve(p)));
    await survivor.forgetJobs.resumeUnfinished(); // the lease still runs: it looks again when it ends
    await done;
    await survivor.close();
    assert.deepEqual(await itemsOf(table, userId), []);
  });

  it('joins a second forget to the running job, in this process and from another', async () => {
    const first = process(table, { reportEveryMs: 200 });
    const userId = await seedUser(first, 2, 1500);
    const [a, b] = await Promise.all([first.startForgetUser({ userId }), first.startForgetUser({ userId })]);
    const other = process(table, { reportEveryMs: 200 });
    const c = await other.startForgetUser({ userId });
    assert.equal(c.runsHere, false);
    const ends = await Promise.all([a.finished, b.finished, c.finished]);
    assert.equal(a.finished, b.finished, 'one job in this process');
    assert.deepEqual(ends.map((p) => p.state), ['done', 'done', 'done']);
    assert.equal(ends[0]!.deleted['message'], 3000);
    await Promise.all([first.close(), other.close()]);
    assert.deepEqual(await itemsOf(table, userId), []);
  });
});
