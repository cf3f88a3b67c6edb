/**
 * What "nothing partly written" means for each kind of item (docs/data-model.md), checked on a full
 * scan of the table. Each check returns the problems it found, as text naming the partition.
 */
import { isDeepStrictEqual } from 'node:util';
import { prefix } from '../../lib/memory/table-layout';

type Item = Record<string, unknown>;

function partitions(items: Item[], pkPrefix: string): Map<string, Item[]> {
  const byPk = new Map<string, Item[]>();
  for (const item of items) {
    const pk = String(item['pk']);
    if (pk.startsWith(pkPrefix)) byPk.set(pk, [...(byPk.get(pk) ?? []), item]);
  }
  return byPk;
}

const sk = (item: Item) => String(item['sk']);

/**
 * A session partition is whole when its session item counts exactly its messages, every messageId
 * guard points at a stored message, and nothing of it is there without a session item.
 */
export function sessionProblems(items: Item[]): string[] {
  const problems: string[] = [];
  for (const [pk, session] of partitions(items, prefix.session)) {
    const head = session.find((i) => sk(i) === 'SESSION');
    const messages = new Set(session.filter((i) => sk(i).startsWith(prefix.message)).map(sk));
    if (!head) {
      problems.push(`${pk}: ${session.length} items without a session item`);
      continue;
    }
    if (head['messageCount'] !== messages.size) problems.push(`${pk}: messageCount ${String(head['messageCount'])}, ${messages.size} messages`);
    for (const guard of session.filter((i) => sk(i).startsWith(prefix.messageId))) {
      if (!messages.has(String(guard['messageSk']))) problems.push(`${pk}: guard ${sk(guard)} without its message`);
    }
  }
  return problems;
}

/**
 * A user's preferences are whole when every key's newest audit entry has the key's version and
 * value (a deleted key: no item, and the newest entry has no newValue).
 */
export function preferenceProblems(items: Item[]): string[] {
  const problems: string[] = [];
  for (const [pk, user] of partitions(items, prefix.user)) {
    const newest = new Map<string, Item>();
    for (const entry of user.filter((i) => sk(i).startsWith(prefix.preferenceChange)).sort((a, b) => sk(a).localeCompare(sk(b)))) {
      newest.set(String(entry['key']), entry);
    }
    const stored = new Map(user.filter((i) => sk(i).startsWith(prefix.preference)).map((i) => [String(i['key']), i]));
    for (const [k, pref] of stored) {
      const entry = newest.get(k);
      if (!entry) problems.push(`${pk}: preference "${k}" without an audit entry`);
      else if (entry['version'] !== pref['version'] || !isDeepStrictEqual(entry['newValue'], pref['value'])) {
        problems.push(`${pk}: preference "${k}" version ${String(pref['version'])} is not its newest audit entry's`);
      }
    }
    for (const [k, entry] of newest) {
      if (!stored.has(k) && 'newValue' in entry) problems.push(`${pk}: audit entry sets "${k}", which is not stored`);
    }
  }
  return problems;
}

/** An edge is whole when its out and in items both exist, alike, and both its entities exist. */
export function graphProblems(items: Item[]): string[] {
  const problems: string[] = [];
  const edgeFields = ['source', 'relation', 'target', 'properties', 'validFrom', 'validTo', 'createdAt'];
  for (const [pk, graph] of partitions(items, prefix.graph)) {
    const entities = new Set(graph.filter((i) => sk(i).startsWith(prefix.entity)).map((i) => String(i['id'])));
    const halves = new Map<string, { out?: Item; in?: Item }>();
    for (const item of graph) {
      const direction = item['kind'] === 'edge-out' ? 'out' : item['kind'] === 'edge-in' ? 'in' : undefined;
      if (!direction) continue;
      const edge = `${String(item['source'])} -${String(item['relation'])}-> ${String(item['target'])}`;
      halves.set(edge, { ...halves.get(edge), [direction]: item });
    }
    for (const [edge, { out, in: incoming }] of halves) {
      if (!out || !incoming) problems.push(`${pk}: ${edge} has only its ${out ? 'out' : 'in'} item`);
      else if (edgeFields.some((f) => !isDeepStrictEqual(out[f], incoming[f]))) problems.push(`${pk}: ${edge}: out and in items differ`);
      const ends = [out ?? incoming!].flatMap((e) => [String(e['source']), String(e['target'])]);
      for (const id of ends) if (!entities.has(id)) problems.push(`${pk}: ${edge} links entity "${id}", which is not stored`);
    }
  }
  return problems;
}

/**
 * Long-term memory is whole when every record (`MEM#`) has its vector item (`MEMVEC#`) and every
 * vector its record, and each partition with records has its version item (long-term-memory.ts
 * writes all three in one transaction). Any partition may hold them: a user's, a session's, a namespace's.
 */
export function memoryProblems(items: Item[]): string[] {
  const problems: string[] = [];
  for (const [pk, partition] of partitions(items, '')) {
    const records = new Set(partition.filter((i) => sk(i).startsWith(prefix.memory)).map((i) => sk(i).slice(prefix.memory.length)));
    const vectors = new Set(partition.filter((i) => sk(i).startsWith(prefix.memoryVector)).map((i) => sk(i).slice(prefix.memoryVector.length)));
    for (const id of records) if (!vectors.has(id)) problems.push(`${pk}: record ${id} without its vector item`);
    for (const id of vectors) if (!records.has(id)) problems.push(`${pk}: vector item ${id} without its record`);
    if (records.size > 0 && !partition.some((i) => sk(i) === 'MEMVERSION')) problems.push(`${pk}: ${records.size} records without a version item`);
  }
  return problems;
}

/**
 * Working memory is whole when its counter (`WMCOUNT`, absent: 0) counts exactly the scope's
 * entries: every add, eviction and remove changes both in one transaction (working-memory.ts).
 * Only true while nothing expires (no TTL) and no clear races an add in the scope.
 */
export function workingProblems(items: Item[]): string[] {
  const problems: string[] = [];
  for (const [pk, partition] of partitions(items, '')) {
    const entries = partition.filter((i) => sk(i).startsWith(prefix.workingEntry)).length;
    const count = Number(partition.find((i) => sk(i) === 'WMCOUNT')?.['count'] ?? 0);
    if (count !== entries) problems.push(`${pk}: working counter ${count}, ${entries} entries`);
  }
  return problems;
}

/** Partitions (by pk) that have items although every msg that named them failed. */
export function writtenByFailures(items: Item[], partitionOf: Map<string, boolean>): string[] {
  const written = new Set(items.map((i) => String(i['pk'])));
  return [...partitionOf].filter(([pk, succeeded]) => !succeeded && written.has(pk)).map(([pk]) => `${pk}: written, though its msgs all failed`);
}
