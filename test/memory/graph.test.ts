/** The entity graph against a real DynamoDB Local: both ends of an edge, validity in time, scopes. */
import assert from 'node:assert/strict';
import { EntityNotFoundError, MemoryInputError } from '../../lib/errors/input-errors';
import { MemoryGraph } from '../../lib/memory/graph';
import type { GraphScope } from '../../lib/memory/table-layout';
import { parseEntityRequest, parseLinkRequest } from '../../lib/schemas/graph-request';
import { memoryTable, uniqueName, type MemoryTable } from '../support/memory-table';

describe('memory graph', () => {
  let table: MemoryTable;
  let clock: number;
  let graph: MemoryGraph;
  before(async () => {
    table = await memoryTable();
    graph = new MemoryGraph({ documents: table.connection.documents, tableName: table.tableName, now: () => clock });
  });
  after(() => table.close());
  beforeEach(() => (clock = Date.parse('2026-01-01T00:00:00.000Z')));

  const user = (): GraphScope => ({ userId: uniqueName('u') });
  const entities = (scope: GraphScope, ...ids: string[]) =>
    Promise.all(ids.map((id) => graph.upsertEntity(scope, { id, type: 'thing' })));
  const partition = (scope: GraphScope) => table.itemsWithPk('userId' in scope ? `GRAPH#USER#${scope.userId}` : `GRAPH#NAMED#${scope.graph}`);

  it('creates an entity, then replaces its type and aliases and merges its properties', async () => {
    const scope = user();
    await graph.upsertEntity(scope, parseEntityRequest({ id: 'ana', type: 'person', aliases: ['Ana'], properties: { city: 'Lisbon', age: 30 } }));
    clock += 1000;
    const updated = await graph.upsertEntity(scope, { id: 'ana', type: 'friend', properties: { age: 31, pet: 'cat', city: null } });
    assert.deepEqual(updated, {
      id: 'ana', type: 'friend', aliases: ['Ana'], properties: { age: 31, pet: 'cat' },
      createdAt: '2026-01-01T00:00:00.000Z', updatedAt: '2026-01-01T00:00:01.000Z',
    });
    const [item] = await partition(scope);
    assert.equal(item!['sk'], 'ENTITY#ana');
    assert.deepEqual(item!['properties'], { age: 31, pet: 'cat' });
  });

  it('reads a link from both ends: outgoing of the source, incoming of the target', async () => {
    const scope = user();
    await entities(scope, 'ana', 'blue-note');
    await graph.link(scope, parseLinkRequest({ source: 'ana', relation: 'likes', target: 'blue-note', properties: { since: 2019 } }));
    const out = await graph.neighbours(scope, { id: 'ana', direction: 'out' });
    assert.deepEqual(out.edges.map((e) => [e.direction, e.source, e.relation, e.target, e.properties]), [['out', 'ana', 'likes', 'blue-note', { since: 2019 }]]);
    assert.deepEqual(out.entities.map((e) => e.id), ['blue-note']);
    const into = await graph.neighbours(scope, { id: 'blue-note', direction: 'in' });
    assert.deepEqual(into.edges.map((e) => [e.direction, e.source, e.target]), [['in', 'ana', 'blue-note']]);
    assert.deepEqual(into.entities.map((e) => e.id), ['ana']);
    assert.deepEqual((await graph.neighbours(scope, { id: 'ana', direction: 'in' })).edges, []);
    assert.equal((await graph.neighbours(scope, { id: 'ana', relation: 'hates' })).edges.length, 0);
    assert.equal((await graph.neighbours(scope, { id: 'ana', relation: 'likes' })).edges.length, 1);
    const items = await partition(scope);
    assert.deepEqual(items.map((i) => i['sk']).sort(), ['ENTITY#ana', 'ENTITY#blue-note', 'IN#blue-note#likes#ana', 'OUT#ana#likes#blue-note']);
  });

  it('closes a link on unlink: gone from "valid now", still there at an earlier time, re-opened by a link', async () => {
    const scope = user();
    await entities(scope, 'ana', 'jazz');
    await graph.link(scope, { source: 'ana', relation: 'likes', target: 'jazz' });
    clock += 60_000;
    const closed = await graph.unlink(scope, { source: 'ana', relation: 'likes', target: 'jazz' });
    assert.deepEqual(closed, { source: 'ana', relation: 'likes', target: 'jazz', mode: 'close', unlinked: true, validTo: '2026-01-01T00:01:00.000Z' });
    clock += 1000;
    assert.deepEqual((await graph.neighbours(scope, { id: 'ana' })).edges, []);
    assert.deepEqual((await graph.neighbours(scope, { id: 'jazz' })).edges, []);
    const earlier = await graph.neighbours(scope, { id: 'jazz', at: '2026-01-01T00:00:30Z' });
    assert.deepEqual(earlier.edges.map((e) => [e.source, e.validTo]), [['ana', '2026-01-01T00:01:00.000Z']]);
    assert.equal((await graph.neighbours(scope, { id: 'ana', at: Date.parse('2025-12-31T00:00:00Z') })).edges.length, 0, 'not yet valid');
    assert.equal((await graph.unlink(scope, { source: 'ana', relation: 'likes', target: 'jazz' })).unlinked, false, 'already closed');
    await graph.link(scope, { source: 'ana', relation: 'likes', target: 'jazz' });
    assert.equal((await graph.neighbours(scope, { id: 'ana' })).edges.length, 1, 're-opened');
  });

  it('deletes both items of an edge on unlink with delete', async () => {
    const scope = user();
    await entities(scope, 'ana', 'jazz');
    await graph.link(scope, { source: 'ana', relation: 'likes', target: 'jazz' });
    assert.equal((await graph.unlink(scope, { source: 'ana', relation: 'likes', target: 'jazz' }, 'delete')).unlinked, true);
    assert.deepEqual((await partition(scope)).map((i) => i['sk']).sort(), ['ENTITY#ana', 'ENTITY#jazz']);
    assert.equal((await graph.unlink(scope, { source: 'ana', relation: 'likes', target: 'jazz' }, 'delete')).unlinked, false);
  });

  it('lists one relation type newest first, page by page, only within its scope', async () => {
    const scope = user();
    const other = user();
    const named: GraphScope = { graph: uniqueName('g') };
    for (const s of [scope, other, named]) await entities(s, 'ana', 'a', 'b', 'c');
    for (const target of ['a', 'b', 'c']) {
      clock += 1000;
      await graph.link(scope, { source: 'ana', relation: 'likes', target });
    }
    await graph.link(scope, { source: 'ana', relation: 'knows', target: 'a' });
    await graph.link(other, { source: 'ana', relation: 'likes', target: 'a' });
    await graph.link(named, { source: 'ana', relation: 'likes', target: 'b' });
    const first = await graph.relations(scope, { relation: 'likes', limit: 2 });
    assert.deepEqual(first.edges.map((e) => e.target), ['c', 'b']);
    assert.ok(first.cursor);
    const second = await graph.relations(scope, { relation: 'likes', limit: 2, cursor: first.cursor });
    assert.deepEqual(second.edges.map((e) => e.target), ['a']);
    assert.equal(second.cursor, undefined);
    assert.deepEqual((await graph.relations(other, { relation: 'likes' })).edges.map((e) => e.target), ['a']);
    assert.deepEqual((await graph.relations(named, { relation: 'likes' })).edges.map((e) => e.target), ['b']);
    await assert.rejects(graph.relations(scope, { relation: 'likes', cursor: 'bm90LWEtY3Vyc29y' }), MemoryInputError);
  });

  it('writes neither half of a link whose condition fails (an entity is missing)', async () => {
    const scope = user();
    await entities(scope, 'ana');
    await assert.rejects(
      graph.link(scope, { source: 'ana', relation: 'likes', target: 'nobody' }),
      (error: Error) => error instanceof EntityNotFoundError && /entity "nobody" is not in this graph/.test(error.message),
    );
    assert.deepEqual((await partition(scope)).map((i) => i['sk']), ['ENTITY#ana']);
    // An edge from an entity to itself checks that one entity once (a transaction may touch an item once).
    await graph.link(scope, { source: 'ana', relation: 'knows', target: 'ana' });
    const self = await graph.neighbours(scope, { id: 'ana' });
    assert.deepEqual(self.edges.map((e) => e.direction), ['out', 'in']);
    assert.deepEqual(self.entities.map((e) => e.id), ['ana']);
  });

  it('refuses a link whose validTo is not after its validFrom, and properties over 400 KB, writing nothing', async () => {
    const scope = user();
    await entities(scope, 'ana', 'jazz');
    await assert.rejects(graph.link(scope, { source: 'ana', relation: 'likes', target: 'jazz', validFrom: '2026-02-01T00:00:00Z', validTo: '2026-01-01T00:00:00Z' }), MemoryInputError);
    await assert.rejects(graph.link(scope, { source: 'ana', relation: 'likes', target: 'jazz', properties: { note: 'x'.repeat(410 * 1024) } }), /at most 400 KB/);
    await assert.rejects(graph.upsertEntity(scope, { id: 'ana', type: 'person', properties: { note: 'x'.repeat(410 * 1024) } }), /at most 400 KB/);
    assert.equal((await partition(scope)).length, 2);
  });
});
