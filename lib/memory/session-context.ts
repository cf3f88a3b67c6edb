/**
 * Where the context builder (context-builder.ts) gets its parts for one session: the user's
 * preferences, facts and long-term memories, the session's summary and its messages.
 */
import type { ContextRequest } from '../schemas/context-request';
import { buildContext, type ContextResult } from './context-builder';
import type { MemoryGraph } from './graph';
import type { LongTermMemory } from './long-term-memory';
import { messagesAfter } from './message-history';
import type { Preferences } from './preferences';
import { readAsOwner } from './session-owner';
import { summary } from './session-summary';
import type { TableHandle } from './table-handle';
import type { WorkingMemory } from './working-memory';

/** Facts rendered into the context: at most this many valid relationships of the user's graph. */
const maxFacts = 200;

export async function sessionContext(
  table: TableHandle,
  parts: { preferences: Preferences; graph: MemoryGraph; memories: LongTermMemory; working: WorkingMemory },
  request: ContextRequest,
): Promise<ContextResult> {
  // The session check (its owner, and whether its user is being forgotten) runs beside the reads.
  return readAsOwner(table, request.sessionId, request.userId, () => buildContext(
    {
      preferences: async (userId) => (await parts.preferences.get({ userId })).preferences,
      facts: (userId) => parts.graph.validRelationships({ userId }, maxFacts),
      summary: (sessionId) => summary(table, sessionId),
      memories: (userId, { text, k, ...embedding }) => parts.memories.recall({ scope: 'user', userId, query: text, k, ...embedding }),
      working: async (sessionId) => {
        const scope = { scope: 'session' as const, sessionId };
        const [entries, steps] = await Promise.all([parts.working.list({ ...scope, order: 'importance' }), parts.working.steps(scope)]);
        return { entries, steps };
      },
      newestMessages: (sessionId, after, enough) => messagesAfter(table, sessionId, after, false, enough),
      oldestMessages: async (sessionId, after, limit) =>
        (await messagesAfter(table, sessionId, after, true, (read) => read.length >= limit)).messages.slice(0, limit),
    },
    request,
  ));
}
