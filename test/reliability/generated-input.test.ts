/**
 * Generated bad input (issue #5): thousands of fast-check-made msgs into every memory node in a real
 * Node-RED runtime on DynamoDB Local. The runtime never crashes, each msg ends in exactly one done()
 * or done(err), nothing is partly written, no prototype is polluted. Replay a failure with the seed
 * it prints: FUZZ_SEED=<seed> (and FUZZ_MSGS=<n> for fewer msgs per node).
 */
import assert from 'node:assert/strict';
import { inParallel } from '../../lib/memory/in-parallel';
import { buildMsg, recipes, type Recipe } from '../support/generated-msgs';
import { memoryFuzzNodes, memoryFuzzSpecs } from '../support/fuzz-memory-specs';
import { inFlight, partitionOf, sessionPk, text, type Finish, type Item, type NodeSpec, type Result } from '../support/fuzz-spec';
import { watchFinishes } from '../support/msg-ledger';
import { scanMemoryItems } from '../support/memory-table';
import { forgetNodeCalls, loadMemoryFlow, sent, startNodeRed, stopNodeRed, unloadFlow, type MemoryFlow, type Msg } from '../support/node-flow';
import { graphProblems, preferenceProblems, sessionProblems, writtenByFailures } from '../support/table-wholeness';

const seed = Number(process.env['FUZZ_SEED'] ?? 20260605);
const fuzzMsgs = process.env['FUZZ_MSGS'];
const msgsOf = (spec: NodeSpec) => Number(fuzzMsgs ?? spec.msgs ?? 10_000);
const validShare = 0.2;
/** A msg that has neither finished nor failed by then counts as a hang. */
const hangMs = 30_000;
/** Errors a msg may end in: the pack's own, written for flow builders. */
const expectedErrors = /^(MemoryInputError|SessionOwnershipError|EntityNotFoundError): ./;

/** Sessions the store node wrote, which the history, context and clear msgs then read or clear. */
const storedSessions: Array<{ sessionId: string; userId?: string }> = [];
const stored = (i: number) => storedSessions[i % storedSessions.length] ?? { sessionId: `none-${i}` };
const graphUser = (i: number) => `graph-u${Math.floor(i / 8)}`;
const graphEntities = ['ada', 'bob', 'cy'];
const sessionIdsOf = (items: Item[]) => new Set(items.filter((i) => i['kind'] === 'session').map((i) => String(i['sessionId'])));

const specs: NodeSpec[] = [
  {
    id: 'store',
    shape: {
      fields: ['sessionId', 'userId', 'role', 'payload', 'payload.content', 'payload.role', 'payload.metadata', 'payload.0', 'payload.0.content',
        'payload.1.role', 'payload.1.tool_calls', 'metadata', 'messageId', 'covers'],
      ids: ['sessionId', 'userId', 'messageId', 'payload.0.messageId', 'payload.tool_call_id'],
    },
    valid(i, variant) {
      const ids = { sessionId: `store-s${i}`, ...(variant % 2 ? { userId: `store-u${i}` } : {}) };
      switch (variant % 5) {
        case 0: return { ...ids, payload: `hello ${i}` };
        case 1: return { ...ids, payload: { role: 'assistant', content: `answer ${i}`, metadata: { model: 'm', n: i } } };
        case 2: return { ...ids, messageId: `m${i}`, payload: [{ role: 'user', content: 'q' }, { role: 'assistant', content: [{ type: 'text', text: 'a' }] }] };
        case 3: return { ...ids, role: 'system', metadata: { source: 'test' }, messageId: `m${i}`, payload: 'be brief' };
        default: return { ...ids, payload: { role: 'tool', content: null, tool_call_id: `call${i}`, name: 'lookup' } };
      }
    },
    partitions: sessionPk,
    problems: (items) => sessionProblems(items),
  },
  {
    id: 'history',
    shape: { fields: ['sessionId', 'userId', 'limit', 'since', 'until', 'tokenBudget'], ids: ['sessionId', 'userId'] },
    valid(i, variant) {
      const extra = [{}, { limit: 5 }, { since: '2020-01-01T00:00:00Z', until: Date.now() + 60_000 }, { tokenBudget: 100 }][variant % 4];
      return { ...stored(i), ...extra };
    },
    partitions: sessionPk,
    problems: (items) => sessionProblems(items),
  },
  {
    id: 'context',
    shape: { fields: ['sessionId', 'userId', 'payload', 'payload.0', 'tokenBudget', 'operation'], ids: ['sessionId', 'userId'] },
    valid(i, variant) {
      if (variant % 4 === 0) return { ...stored(i), operation: 'stats' };
      return { ...stored(i), payload: variant % 4 === 1 ? [{ type: 'text', text: 'and now?' }] : 'and now?', tokenBudget: 2000 };
    },
    partitions: sessionPk,
    problems: (items) => sessionProblems(items),
  },
  {
    id: 'clear',
    shape: { fields: ['sessionId', 'userId'], ids: ['sessionId', 'userId'] },
    valid: (i) => ({ ...stored(i) }),
    partitions: sessionPk,
    problems(items, results) {
      const left = sessionIdsOf(items);
      const cleared = results.filter((r) => r.outcome !== 'hung' && r.outcome.error === undefined).map((r) => String(r.msg['sessionId']));
      return [...sessionProblems(items), ...cleared.filter((id) => left.has(id)).map((id) => `SESSION#${id}: cleared, but still there`)];
    },
  },
  {
    id: 'preference',
    shape: {
      fields: ['operation', 'userId', 'key', 'payload', 'payload.tone', 'payload.lang', 'limit'],
      ids: ['userId', 'key'],
    },
    valid(i, variant) {
      // Four msgs share a user, so sets, merges, deletes and reads meet on the same keys.
      const base = { userId: `pref-u${Math.floor(i / 4)}`, key: ['tone', 'lang', 'units'][variant % 3] };
      switch (variant % 5) {
        case 0: return { ...base, operation: 'get' };
        case 1: return { ...base, operation: 'set', payload: { level: i, words: ['a', 'b'] } };
        case 2: return { ...base, operation: 'merge', payload: { tone: 'dry', lang: 'de' } };
        case 3: return { ...base, operation: 'delete' };
        default: return { ...base, operation: 'history', limit: 10 };
      }
    },
    partitions: (msg) => partitionOf('USER#', msg['userId']),
    problems: (items) => preferenceProblems(items),
  },
  {
    id: 'graph',
    shape: {
      fields: ['operation', 'userId', 'payload', 'payload.id', 'payload.type', 'payload.properties', 'payload.aliases', 'payload.source',
        'payload.target', 'payload.relation', 'payload.validFrom', 'payload.validTo', 'payload.limit', 'payload.at', 'payload.direction'],
      ids: ['userId', 'payload.id', 'payload.type', 'payload.source', 'payload.relation', 'payload.target'],
    },
    valid(i, variant) {
      // Eight msgs share a graph of three entities, so entity upserts, links and unlinks meet.
      const userId = graphUser(i);
      const [a, b] = [['ada', 'bob'], ['bob', 'cy'], ['cy', 'ada']][variant % 3]!;
      const relation = variant % 2 ? 'knows' : 'likes';
      switch (variant % 6) {
        case 0:
        case 1: return { userId, operation: 'entity', payload: { id: a, type: 'person', aliases: [a.toUpperCase()], properties: { n: i } } };
        case 2: return { userId, operation: 'link', payload: { source: a, relation, target: b, properties: { since: 2020 } } };
        case 3: return { userId, operation: 'unlink', payload: { source: a, relation, target: b } };
        case 4: return { userId, operation: 'neighbours', payload: { id: a, direction: 'both', limit: 10 } };
        default: return { userId, operation: 'relations', payload: { relation, limit: 5 } };
      }
    },
    partitions: (msg) => partitionOf('GRAPH#USER#', msg['userId']),
    problems: (items) => graphProblems(items),
    async prepare(flow, planned) {
      // A link whose entities are not there yet fails, and msgs run 12 at a time in any order; no
      // graph operation deletes an entity, so once written they stay for every link.
      const users = [...new Set(planned.map((p) => graphUser(p.index)))];
      const entities = users.flatMap((userId) => graphEntities.map((id) => ({ userId, id })));
      await inParallel(entities, inFlight, ({ userId, id }) => sent(flow, 'graph', { userId, operation: 'entity', payload: { id, type: 'person' } }));
    },
  },
  ...memoryFuzzSpecs,
];

/** What a prototype looks like now, to compare after the msgs. */
function prototypeSnapshot() {
  const probe = (x: object) => (x as { polluted?: unknown }).polluted;
  return {
    object: Object.getOwnPropertyNames(Object.prototype).sort(),
    array: Object.getOwnPropertyNames(Array.prototype).sort(),
    function: Object.getOwnPropertyNames(Function.prototype).sort(),
    probes: [probe({}), probe([]), probe(() => 0), probe(Object.create(Object.prototype)), probe(new Date())],
  };
}

/** Objects in a sent msg that read `polluted` or a changed prototype through inheritance. */
function inheritedSurprises(msg: Msg): string[] {
  const surprises: string[] = [];
  if (Object.getPrototypeOf(msg) !== Object.prototype) surprises.push('msg has another prototype');
  const pending: Array<{ value: unknown; depth: number }> = [{ value: msg, depth: 0 }];
  while (pending.length > 0) {
    const { value, depth } = pending.pop()!;
    if (typeof value !== 'object' || value === null || depth > 40) continue;
    if ('polluted' in value && !Object.hasOwn(value, 'polluted')) surprises.push('an object inherits "polluted"');
    for (const v of Object.values(value)) pending.push({ value: v, depth: depth + 1 });
  }
  return surprises;
}

/** How the node finished msg: on output 1 or with done(err); for an `anyOutput` node, with done() or done(err). */
async function finish(flow: MemoryFlow, spec: NodeSpec, msg: Msg, onId: (msgid: string) => void): Promise<Finish> {
  if (!spec.anyOutput) return flow.run(spec.id, msg, onId);
  const { outputs, error } = await flow.runOutputs(spec.id, msg, onId);
  const first = outputs.find((m) => m !== undefined);
  return { ...(first ? { sent: first } : {}), ...(error !== undefined ? { error } : {}) };
}

async function runOne(flow: MemoryFlow, spec: NodeSpec, msg: Msg): Promise<Result> {
  let msgid = '';
  let timer: NodeJS.Timeout | undefined;
  const hung = new Promise<'hung'>((resolve) => (timer = setTimeout(() => resolve('hung'), hangMs)));
  const outcome = await Promise.race([finish(flow, spec, msg, (id) => (msgid = id)), hung]);
  clearTimeout(timer);
  return { msg, msgid, outcome };
}

/** Sends every recipe's msg, `inFlight` at a time, in the recipes' order. */
async function sendAll(flow: MemoryFlow, spec: NodeSpec, all: Recipe[], offset: number): Promise<Result[]> {
  const results: Result[] = new Array(all.length);
  let next = 0;
  const worker = async () => {
    for (let i = next++; i < all.length; i = next++) {
      const recipe = all[i]!;
      results[i] = await runOne(flow, spec, buildMsg(spec.valid(offset + i, recipe.variant), recipe));
    }
  };
  await Promise.all(Array.from({ length: inFlight }, worker));
  return results;
}

describe('generated bad input into every memory node', function () {
  this.timeout(15 * 60_000);
  let flow: MemoryFlow;
  const crashes: unknown[] = [];
  const onCrash = (error: unknown) => crashes.push(error);
  const pristine = prototypeSnapshot();
  const timings: string[] = [];

  before(async () => {
    console.log(`      seed ${seed}, ${fuzzMsgs ?? 'up to 10000'} msgs per node, ${validShare * 100} % valid (replay: FUZZ_SEED=${seed})`);
    process.on('uncaughtException', onCrash);
    process.on('unhandledRejection', onCrash);
    await startNodeRed();
    flow = await loadMemoryFlow([
      { id: 'store', type: 'dynamodb-memory-store' },
      { id: 'history', type: 'dynamodb-memory-history' },
      { id: 'context', type: 'dynamodb-memory-context' },
      { id: 'clear', type: 'dynamodb-memory-clear' },
      { id: 'preference', type: 'dynamodb-memory-preference' },
      { id: 'graph', type: 'dynamodb-memory-graph', operation: 'entity' },
      ...memoryFuzzNodes,
    ]);
  });

  after(async () => {
    process.removeListener('uncaughtException', onCrash);
    process.removeListener('unhandledRejection', onCrash);
    console.log(timings.map((t) => `      ${t}`).join('\n'));
    await unloadFlow();
    await stopNodeRed();
  });

  afterEach(forgetNodeCalls);

  specs.forEach((spec, n) => {
    it(`${spec.id}: ${msgsOf(spec)} generated msgs, each finished once, nothing partly written, no prototype touched`, async () => {
      const all = recipes(spec.shape, msgsOf(spec), seed + n, validShare);
      // Far apart: each node's msgs have ids of their own, whatever its count.
      const offset = n * 1_000_000;
      await spec.prepare?.(flow, all.map((r, i) => ({ index: offset + i, variant: r.variant })));
      // The counter items are written by the connection's flush, a second later, not by the node under test.
      const itemsBefore = await scanMemoryItems(flow.tableName);
      const ledger = watchFinishes(flow, spec.id);
      const started = Date.now();
      const results = await sendAll(flow, spec, all, offset);
      const seconds = (Date.now() - started) / 1000;
      // done() and done(err) reach Complete and Catch a tick after the msg's outcome: let them land.
      await new Promise((resolve) => setTimeout(resolve, 500));
      ledger.stop();

      const finished = results.filter((r): r is Result & { outcome: Finish } => r.outcome !== 'hung');
      const failures = finished.filter((r) => r.outcome.error !== undefined).map((r) => r.outcome.error!);
      const succeeded = finished.filter((r) => r.outcome.error === undefined);
      const validCount = all.filter((r) => r.corruptions.length === 0).length;
      timings.push(
        `${spec.id}: ${results.length} msgs (${validCount} valid) in ${seconds.toFixed(1)} s: ${succeeded.length} succeeded${spec.anyOutput ? ` (${succeeded.filter((r) => !r.outcome.sent).length} sending nothing)` : ''}, ${failures.length} done(err)`,
      );
      if (spec.id === 'store') {
        for (const r of succeeded) storedSessions.push({ sessionId: String(r.msg['sessionId']), ...(text(r.msg['userId']) ? { userId: text(r.msg['userId']) } : {}) });
      }

      assert.deepEqual(crashes, [], 'no uncaught exception or unhandled rejection');
      assert.deepEqual(results.filter((r) => r.outcome === 'hung').map((r) => r.msgid), [], 'no msg hangs');
      assert.deepEqual(ledger.unfinished(results.map((r) => r.msgid)), [], 'each msg ends in exactly one done() or done(err)');
      assert.equal(ledger.redStatuses(), ledger.failures(), 'every done(err) shows a red status');
      const unclear = [...new Set(failures.filter((e) => !expectedErrors.test(e) || e.length > 1000).map((e) => e.slice(0, 300)))];
      assert.deepEqual(unclear, [], 'every bad msg fails with the pack\'s own, short error');
      const validFailed = results.flatMap((r, i) =>
        all[i]!.corruptions.length === 0 && (r.outcome === 'hung' || r.outcome.error !== undefined)
          ? [`${JSON.stringify(r.msg).slice(0, 200)}: ${r.outcome === 'hung' ? 'hung' : r.outcome.error}`]
          : [],
      );
      assert.deepEqual(validFailed, [], `every valid msg succeeds (${validFailed.length} of ${validCount} failed)`);

      const items = await scanMemoryItems(flow.tableName);
      const touched = new Map<string, boolean>();
      for (const r of finished) for (const pk of spec.partitions(r.msg)) touched.set(pk, (touched.get(pk) ?? false) || r.outcome.error === undefined);
      const existedBefore = new Set(itemsBefore.map((i) => String(i['pk'])));
      const newFromFailures = writtenByFailures(items, touched).filter((p) => !existedBefore.has(p.split(':')[0]!));
      assert.deepEqual([...spec.problems(items, results), ...newFromFailures], [], 'nothing partly written');
      if (!['store', 'preference', 'graph', 'clear', 'memories', 'working', 'extract'].includes(spec.id)) {
        assert.equal(items.length, itemsBefore.length, `${spec.id} writes nothing`);
      }

      assert.deepEqual(prototypeSnapshot(), pristine, 'prototypes unchanged');
      assert.deepEqual(succeeded.flatMap((r) => (r.outcome.sent ? inheritedSurprises(r.outcome.sent) : [])), [], 'sent msgs inherit nothing unexpected');

      const sessionId = `after-${spec.id}`;
      await sent(flow, 'store', { sessionId, payload: 'still works' });
      const history = await sent(flow, 'history', { sessionId });
      assert.deepEqual(history['history'], [{ role: 'user', content: 'still works' }], 'the runtime still stores and reads');
    });
  });
});
