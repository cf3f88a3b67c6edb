/**
 * Memory that keeps itself tidy without an LLM (issue 14, item 3): what a remember does with a text
 * that is near a valid record of its scope. The look-up is recall's own (memory-recall.ts, exact
 * path, similarity weight only, no access counted); the write is long-term-memory.ts's.
 *
 *   - **merge** (similarity ≥ `mergeAbove`, same kind, same embedder): the record it is nearest to
 *     takes it in: access count + 1, importance the higher of the two (the new one's only when it
 *     was given), source message ids added (the newest 100 kept), metadata keys it lacked added
 *     (its own values kept); text, vector, validity and expiry stay the record's. One MERGE audit
 *     entry (oldText the record's text, newText the text remembered) and a version bump, in one
 *     transaction conditioned on the version read.
 *   - **contradiction** (same kind, `contradictionAbove` ≤ similarity < `mergeAbove`, and each text
 *     has a content word the other lacks, or only one is negated): stored as a new record, and the result names the records
 *     it may contradict; with `onContradiction: 'supersede'` they end in the transaction that stores it. "I live in Lisbon" / "I live in Porto" (0.71) is one; "Ana is allergic to
 *     peanuts" / "… to peanuts and shellfish" (0.86) is not (the second only adds words), nor are
 *     texts of another kind.
 *
 * The measured similarities of the built-in embedder (word overlap, not synonyms) that chose the
 * node's defaults (0.9 and 0.6) are in docs/long-term-memory.md.
 */
import { words } from './embedding';
import type { MemoryRecord } from './memory-items';

/** Words too common to tell two statements apart ("a" for "the" is no contradiction). */
const stopWords = new Set(
  ('a an the and or but of to in on at by for with from as is are was were be been am i my me you your he she it its we our they ' +
    'their this that these those do does did have has had so very just also too now then there here').split(' '),
);

/** Words that turn a statement round: one text with and one without is a contradiction ("I do not like jazz"). */
const negations = new Set(['not', 'no', 'never', 'without', 'nor', 't', 'dont', 'doesnt', 'didnt', 'isnt', 'wasnt', 'cannot', 'cant', 'wont']);

/** A text's words that carry its content: letters and digits, lower case, stop words left out. */
export function contentWords(text: string): Set<string> {
  return new Set(words(text).filter((word) => !stopWords.has(word)));
}

/**
 * The contradiction heuristic's last test: each text says something the other does not (a place,
 * a name, a number replaced), rather than one only adding to the other; or one is negated and the
 * other is not ("don't" splits into "don" and "t").
 */
export function differInContent(a: string, b: string): boolean {
  const [wordsA, wordsB] = [contentWords(a), contentWords(b)];
  const negated = (set: Set<string>) => [...set].some((word) => negations.has(word));
  if (negated(wordsA) !== negated(wordsB)) return true;
  const lacks = (from: Set<string>, other: Set<string>) => [...from].some((word) => !other.has(word));
  return lacks(wordsA, wordsB) && lacks(wordsB, wordsA);
}

/** A record's settings for tidying, as a remember request gives them. */
export interface TidySettings {
  mergeAbove?: number;
  contradictionAbove?: number;
}

/** What tidying decided for one remembered text, from its scope's most similar records. */
export type TidyDecision<M> = { merge: M } | { contradicts: M[] };

/**
 * The record to merge into (the most similar of the same kind at or above mergeAbove), else the
 * records it may contradict. `similar` is best first.
 */
export function decide<M extends Pick<MemoryRecord, 'text' | 'kind'> & { similarity: number }>(
  similar: M[],
  record: { text: string; kind?: string },
  settings: TidySettings,
): TidyDecision<M> {
  const sameKind = similar.filter((m) => m.kind === record.kind);
  const merge = settings.mergeAbove === undefined ? undefined : sameKind.find((m) => m.similarity >= settings.mergeAbove!);
  if (merge) return { merge };
  const low = settings.contradictionAbove;
  if (low === undefined) return { contradicts: [] };
  return { contradicts: sameKind.filter((m) => m.similarity >= low && differInContent(m.text, record.text)) };
}

/** The newest 100: what a record keeps (the schema's and export's limit). */
const maxSourceIds = 100;

/** The fields a merge sets on the record it merges into. */
export function mergedFields(
  into: Pick<MemoryRecord, 'importance' | 'metadata' | 'sourceMessageIds'>,
  record: { importance?: number; metadata?: unknown; sourceMessageIds?: string[] },
): { importance: number; metadata: Record<string, unknown>; sourceMessageIds?: string[] } {
  const ids = [...new Set([...(into.sourceMessageIds ?? []), ...(record.sourceMessageIds ?? [])])].slice(-maxSourceIds);
  return {
    importance: Math.max(into.importance, record.importance ?? into.importance),
    metadata: { ...((record.metadata as Record<string, unknown> | undefined) ?? {}), ...into.metadata },
    ...(ids.length > 0 ? { sourceMessageIds: ids } : {}),
  };
}
