/**
 * The generated-input test's specs (fuzz-spec.ts) of the three long-term and working memory nodes:
 * memories (`dynamodb-memory-recall`), working memory and extract memories. Their valid get,
 * update, forget, remove and apply msgs name records, entries and watermarks that their `prepare`
 * writes first.
 */
import { inParallel } from '../../lib/memory/in-parallel';
import type { FlowNode, MemoryFlow, Msg } from './node-flow';
import { sent } from './node-flow';
import { inFlight, partitionOf, sessionPk, type NodeSpec } from './fuzz-spec';
import { memoryProblems, sessionProblems, workingProblems } from './table-wholeness';

const userPk = (msg: Msg) => partitionOf('USER#', msg['userId']);
const each = <T>(things: T[], work: (thing: T) => Promise<unknown>) => inParallel(things, inFlight, work);
const unique = <T>(things: T[]) => [...new Set(things)];

export const memoryFuzzNodes: FlowNode[] = [
  { id: 'memories', type: 'dynamodb-memory-recall', scope: 'user' },
  // Capacity 2: adds into a scope meet a full one often, and evict; no TTL, so the counter stays exact.
  { id: 'working', type: 'dynamodb-memory-working', scope: 'session', capacity: '2', policy: 'importance', ttlSeconds: '' },
  { id: 'extract', type: 'dynamodb-memory-extract', every: '4', model: 'gpt-test' },
];

/** Eight msgs share a user, so remembers, recalls, updates and merges meet on the same records. */
const memoryUser = (i: number) => `mem-u${Math.floor(i / 8)}`;
/** A forget msg's record, alone in a user of its own: nothing else merges into it or forgets it. */
const forgetUser = (i: number) => `mem-forget-u${i}`;
/** Per user, a record that gets, updates and history read and nothing forgets. */
const anchors = new Map<string, string>();
/** Per forget msg's index, the record it forgets. */
const forgettable = new Map<number, string>();
const remembered = async (flow: MemoryFlow, userId: string, payload: unknown) =>
  String(((await sent(flow, 'memories', { userId, operation: 'remember', payload }))['payload'] as Msg)['id']);

/** Eight msgs share a session's scratchpad; a remove or clear has a session of its own, so no clear races an add. */
const workSession = (i: number) => `work-s${Math.floor(i / 8)}`;
const ownWorkSession = (i: number) => `work-own-s${i}`;
const isOwnWork = (variant: number) => variant % 8 >= 6;
/** Per session, an entry of the highest importance: the policy never evicts it, so gets find it. */
const workAnchors = new Map<string, string>();
/** Per remove msg's index, the entry it removes. */
const ownEntries = new Map<number, string>();

/** Sessions with a watermark each (from a forced due in prepare); their applies share six users. */
const extractSessions = 24;
const extractions: Array<{ sessionId: string; userId: string; extraction: Msg }> = new Array(extractSessions);
/** An OpenAI chat completion whose message is the answer's JSON, as an http request node hands it on. */
const completion = (answer: unknown) => ({
  object: 'chat.completion',
  choices: [{ index: 0, message: { role: 'assistant', content: JSON.stringify(answer), refusal: null }, finish_reason: 'stop' }],
});

export const memoryFuzzSpecs: NodeSpec[] = [
  {
    id: 'memories',
    msgs: 4000,
    shape: {
      fields: ['operation', 'userId', 'payload', 'payload.0', 'payload.0.text', 'payload.0.importance', 'payload.1', 'payload.text', 'payload.kind',
        'payload.importance', 'payload.metadata', 'payload.id', 'memoryId', 'embedding', 'embedder', 'k', 'minScore', 'kind', 'metadata', 'validAt',
        'limit', 'cursor', 'onContradiction'],
      ids: ['userId', 'memoryId', 'payload.id'],
    },
    valid(i, variant) {
      const userId = memoryUser(i);
      const anchor = anchors.get(userId) ?? 'unprepared';
      switch (variant % 8) {
        case 0: return { userId, operation: 'remember', payload: `the user likes topic ${i % 3}` };
        case 1: return {
          userId, operation: 'remember', onContradiction: 'supersede',
          payload: [{ text: `the user lives in city ${i % 4}`, kind: 'fact', importance: 6, metadata: { n: i } }, `the user has a ${i % 2 ? 'cat' : 'dog'}`],
        };
        case 2: return { userId, operation: 'recall', payload: 'what does the user like?', k: 3, minScore: 0 };
        case 3: return { userId, operation: 'list', limit: 5 };
        case 4: return { userId, operation: 'history', memoryId: anchor, limit: 10 };
        case 5: return { userId, operation: 'get', memoryId: anchor };
        case 6: return { userId, operation: 'update', memoryId: anchor, payload: { text: `anchor ${i} of ${userId}`, importance: 3 } };
        default: return { userId: forgetUser(i), operation: 'forget', payload: { id: forgettable.get(i) ?? 'unprepared' } };
      }
    },
    partitions: userPk,
    problems: (items) => memoryProblems(items),
    async prepare(flow, planned) {
      await each(unique(planned.map((p) => memoryUser(p.index))), async (userId) => anchors.set(userId, await remembered(flow, userId, `anchor of ${userId}`)));
      const forgets = planned.filter((p) => p.variant % 8 === 7);
      await each(forgets, async ({ index }) => forgettable.set(index, await remembered(flow, forgetUser(index), `note ${index}`)));
    },
  },
  {
    id: 'working',
    msgs: 5000,
    shape: {
      fields: ['operation', 'sessionId', 'userId', 'payload', 'payload.text', 'payload.importance', 'payload.metadata', 'payload.id', 'workingId',
        'importance', 'metadata', 'order', 'limit'],
      ids: ['sessionId', 'userId', 'workingId', 'payload.id'],
    },
    valid(i, variant) {
      const sessionId = workSession(i);
      switch (variant % 8) {
        case 0: return { sessionId, payload: `note ${i}` };
        case 1: return { sessionId, operation: 'add', payload: { text: `result ${i}`, importance: 1 + (i % 9), metadata: { n: i } } };
        case 2: return { sessionId, operation: 'get', workingId: workAnchors.get(sessionId) ?? 'unprepared' };
        case 3: return { sessionId, operation: 'list', order: 'importance', limit: 5 };
        case 4: return { sessionId, operation: 'step', payload: `thought ${i}`, metadata: { n: i } };
        case 5: return { sessionId, operation: 'steps', limit: 10 };
        case 6: return { sessionId: ownWorkSession(i), operation: 'remove', payload: { id: ownEntries.get(i) ?? 'unprepared' } };
        default: return { sessionId: ownWorkSession(i), operation: 'clear' };
      }
    },
    partitions: sessionPk,
    problems: (items) => [...sessionProblems(items), ...workingProblems(items)],
    async prepare(flow, planned) {
      // A session's scratchpad needs the session: a store makes it.
      const add = async (sessionId: string, payload: unknown) => {
        await sent(flow, 'store', { sessionId, payload: 'plan the trip' });
        return String(((await sent(flow, 'working', { sessionId, operation: 'add', payload }))['payload'] as Msg)['id']);
      };
      await each(unique(planned.map((p) => workSession(p.index))), async (sessionId) => workAnchors.set(sessionId, await add(sessionId, { text: 'the goal', importance: 10 })));
      await each(planned.filter((p) => isOwnWork(p.variant)), async ({ index }) => {
        ownEntries.set(index, await add(ownWorkSession(index), `own ${index}`));
        await sent(flow, 'working', { sessionId: ownWorkSession(index), operation: 'step', payload: 'a step' });
      });
    },
  },
  {
    id: 'extract',
    anyOutput: true,
    shape: {
      fields: ['operation', 'sessionId', 'userId', 'model', 'embedding', 'embedder', 'extraction', 'extraction.watermark', 'extraction.watermark.to',
        'extraction.watermark.from', 'extraction.embedder', 'extraction.operations', 'payload', 'payload.operations', 'payload.operations.0',
        'payload.operations.0.op', 'payload.operations.0.text', 'payload.operations.0.kind', 'payload.operations.0.importance', 'payload.choices',
        'payload.choices.0.message', 'payload.choices.0.message.content'],
      ids: ['sessionId', 'userId', 'extraction.watermark.to', 'extraction.watermark.from'],
    },
    valid(i, variant) {
      const { sessionId, userId, extraction } = extractions[i % extractions.length] ?? { sessionId: 'unprepared', userId: 'unprepared', extraction: {} };
      const apply = (payload: unknown) => ({ sessionId, userId, extraction: structuredClone(extraction), payload });
      switch (variant % 5) {
        case 0: return { sessionId, userId };
        case 1: return { sessionId, userId, operation: 'extract' };
        case 2: return apply({ operations: [{ op: 'ADD', text: `the user mentioned ${i % 7}`, kind: null, importance: null }] });
        case 3: return apply(completion({ operations: [{ op: 'ADD', text: `the user plans trip ${i % 5}`, kind: 'plan', importance: 5 }, { op: 'NONE' }] }));
        default: return apply({ operations: [{ op: 'NONE' }] });
      }
    },
    partitions: (msg) => [...sessionPk(msg), ...userPk(msg)],
    problems: (items) => [...sessionProblems(items), ...memoryProblems(items)],
    async prepare(flow) {
      const sessions = Array.from({ length: extractSessions }, (_, k) => ({ sessionId: `extract-s${k}`, userId: `extract-u${k % 6}` }));
      await each([...sessions.entries()], async ([k, ids]) => {
        for (const [n, payload] of ['I live in Lisbon.', 'Nice!', 'I love jazz.', 'Noted.', 'I plan a trip.'].entries()) {
          await sent(flow, 'store', { ...ids, role: n % 2 ? 'assistant' : 'user', payload });
        }
        const due = (await flow.runOutputs('extract', { ...ids, operation: 'extract' })).outputs[0];
        if (due === undefined) throw new Error(`${ids.sessionId}: a forced due sent no request`);
        extractions[k] = { ...ids, extraction: due['extraction'] as Msg };
      });
    },
  },
];
