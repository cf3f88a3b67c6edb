/**
 * The SearchVectors path (lib/memory/vector-search.ts) against the SearchVectors double
 * (test/support/vector-search-double.ts) in front of DynamoDB Local, not against AWS: a table made
 * by tableDefinition() with the vector index, records of many scopes in it, and the exact top k of
 * the scope asked (DynamoDB's index is approximate; the double is exact, so exact is asserted
 * here). Every refusal DynamoDB documents comes back as the SDK's exception.
 */
import assert from 'node:assert/strict';
import {
  CreateTableCommand,
  DescribeTableCommand,
  SearchVectorsCommand,
  UpdateTableCommand,
  type SearchVectorsCommandInput,
  type TableDescription,
} from '@aws-sdk/client-dynamodb';
import { PutCommand, TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import type { Connection } from '../../lib/memory/connection';
import { cosine } from '../../lib/memory/memory-recall';
import { attribute, tableDefinition, vectorIndex, vectorIndexName } from '../../lib/memory/table-layout';
import { searchVectors, vectorIndexOf, type VectorSearch } from '../../lib/memory/vector-search';
import { startFaultProxy, type FaultProxy } from '../support/fault-proxy';
import { localConnection, uniqueName } from '../support/memory-table';
import { gaussian, prng } from '../support/prng';
import { dynamoDBLocal } from '../support/root-hooks';
import { vectorSearchDouble, type VectorSearchDouble } from '../support/vector-search-double';

const dimension = 8;
const embedder = `test-embedder/${dimension}`;
const scopes = ['USER#ana', 'USER#bo', 'SESSION#s1', 'MEMORY#NAMED#faq', ...Array.from({ length: 8 }, (_, i) => `USER#u${i}`)];
const recordsPerScope = 15;

interface StoredRecord {
  pk: string;
  sk: string;
  vector: number[];
  embedder: string;
}

/** The exact answer: the scope's records of the embedder, nearest first. */
function exactTop(records: StoredRecord[], search: VectorSearch): Array<{ sk: string; similarity: number }> {
  return records
    .filter((r) => r.pk === search.scopePartition && r.embedder === search.embedder)
    .map((r) => ({ sk: r.sk, distance: 1 - cosine(search.vector, r.vector) }))
    .sort((a, b) => a.distance - b.distance)
    .slice(0, search.topK)
    .map(({ sk, distance }) => ({ sk, similarity: Math.min(1, Math.max(0, 1 - distance)) }));
}

describe('vector search (SearchVectors through the double, not AWS)', function () {
  this.timeout(120_000);
  let proxy: FaultProxy;
  let double: VectorSearchDouble;
  let connection: Connection;
  let tableName: string;
  const records: StoredRecord[] = [];
  const noise = gaussian(prng(13));
  const randomVector = () => Array.from({ length: dimension }, () => Math.fround(noise()));

  before(async () => {
    proxy = await startFaultProxy(dynamoDBLocal().endpoint);
    double = vectorSearchDouble();
    proxy.double = double;
    connection = localConnection({ endpoint: proxy.endpoint });
    tableName = uniqueName('vectors');
    await connection.client.send(new CreateTableCommand(tableDefinition(tableName, { vectorDimension: dimension })));
    for (const pk of scopes) {
      for (let i = 0; i < recordsPerScope; i++) {
        // Every fifth record has another embedder's vector: the inline filter must leave it out.
        records.push({ pk, sk: `MEM#${String(i).padStart(4, '0')}`, vector: randomVector(), embedder: i % 5 === 4 ? 'other/8' : embedder });
      }
    }
    const puts = records.map(({ pk, sk, vector, embedder: e }) => ({ pk, sk, [attribute.vector]: vector, [attribute.memoryScope]: pk, [attribute.embedder]: e }));
    // Items the index does not hold: a preference (no vector), a vector without memscope.
    const unindexed: Array<{ [name: string]: unknown }> = scopes.flatMap((pk) => [
      { pk, sk: 'PREF#tone' },
      { pk, sk: 'MEMVEC#x', [attribute.vector]: randomVector(), [attribute.embedder]: embedder },
    ]);
    const items = [...puts, ...unindexed];
    for (let i = 0; i < items.length; i += 40) {
      await Promise.all(items.slice(i, i + 40).map((Item) => connection.documents.send(new PutCommand({ TableName: tableName, Item }))));
    }
  });

  after(async () => {
    connection?.client.destroy();
    await proxy?.close();
  });

  const describeTable = async (name: string) => (await connection.client.send(new DescribeTableCommand({ TableName: name }))).Table!;

  it('describes the index tableDefinition() asked for, ready, with its search attributes declared', async () => {
    const table = await describeTable(tableName);
    assert.deepEqual(vectorIndexOf(table), { dimension, ready: true });
    const declared = table.AttributeDefinitions!.map((d) => `${d.AttributeName}:${d.AttributeType}`);
    for (const name of [attribute.memoryScope, attribute.embedder]) assert.ok(declared.includes(`${name}:S`), name);
    const withoutIndex: TableDescription = { ...table, VectorIndexes: undefined };
    assert.equal(vectorIndexOf(withoutIndex), undefined);
    const otherIndex: TableDescription = { ...table, VectorIndexes: [{ ...table.VectorIndexes![0], IndexName: 'theirs' }] };
    assert.equal(vectorIndexOf(otherIndex), undefined);
  });

  it('finds the exact top k of the scope asked, never a record of another scope or embedder', async () => {
    const before = double.searches;
    for (const [n, scopePartition] of scopes.entries()) {
      // The query is another scope's record: the nearest vector of the whole table is not this scope's.
      const foreign = records.find((r) => r.pk !== scopePartition && r.embedder === embedder)!;
      for (const vector of [foreign.vector, randomVector()]) {
        const search = { scopePartition, embedder, vector, topK: 1 + (n % 12) };
        const { hits, searchBytes } = await searchVectors(connection.client, tableName, search);
        const expected = exactTop(records, search);
        assert.deepEqual(hits.map((h) => h.sk), expected.map((e) => e.sk), scopePartition);
        assert.ok(hits.every((h) => h.pk === scopePartition), `${scopePartition}: another scope's record came back`);
        hits.forEach((hit, i) => assert.ok(Math.abs(hit.similarity - expected[i]!.similarity) < 1e-6, `${scopePartition} similarity`));
        assert.ok(searchBytes !== undefined && searchBytes > 0, 'the search reports what it was metered at');
      }
    }
    assert.equal(double.searches - before, scopes.length * 2, 'every search went through SearchVectors');
  });

  it('gives similarity 1 for the record itself and asks for no more than the scope holds', async () => {
    const record = records.find((r) => r.pk === 'SESSION#s1' && r.embedder === embedder)!;
    const { hits } = await searchVectors(connection.client, tableName, { scopePartition: record.pk, embedder, vector: record.vector, topK: 100 });
    assert.equal(hits[0]!.sk, record.sk);
    assert.ok(Math.abs(hits[0]!.similarity - 1) < 1e-6);
    assert.equal(hits.length, records.filter((r) => r.pk === record.pk && r.embedder === embedder).length);
    assert.ok(hits.every((h, i) => i === 0 || h.similarity <= hits[i - 1]!.similarity), 'most similar first');
  });

  describe('refuses as DynamoDB does', () => {
    const valid = (): SearchVectorsCommandInput => ({
      TableName: tableName,
      IndexName: vectorIndexName,
      SearchVector: randomVector().map((v) => ({ N: String(v) })),
      SearchConditionExpression: '#scope = :scope AND #embedder = :embedder',
      ExpressionAttributeNames: { '#scope': attribute.memoryScope, '#embedder': attribute.embedder },
      ExpressionAttributeValues: { ':scope': { S: 'USER#ana' }, ':embedder': { S: embedder } },
      TopK: 5,
    });
    const refused = async (input: SearchVectorsCommandInput, name: string, message: RegExp) => {
      const before = double.searches;
      await assert.rejects(connection.client.send(new SearchVectorsCommand(input)), (error: Error & { $metadata?: { httpStatusCode?: number } }) => {
        assert.equal(error.name, name);
        assert.match(error.message, message);
        assert.equal(error.$metadata?.httpStatusCode, 400);
        return true;
      });
      assert.equal(double.searches, before, 'a refused search is not counted');
    };

    it('the request as searchVectors sends it is accepted', async () => {
      const answer = await connection.client.send(new SearchVectorsCommand(valid()));
      assert.equal(answer.SearchResults?.length, 5);
    });

    it('TopK outside 1 to 100', async () => {
      await refused({ ...valid(), TopK: 0 }, 'ValidationException', /^Provided TopK value is out of valid range$/);
      await refused({ ...valid(), TopK: 101 }, 'ValidationException', /^Provided TopK value is out of valid range$/);
    });

    it('a search vector of another dimension', async () => {
      await refused({ ...valid(), SearchVector: [{ N: '1' }, { N: '0' }] }, 'ValidationException', /2 dimensions; the index memvec has 8/);
    });

    it('a condition without the HASH attribute, or with none at all', async () => {
      const hashMissing = /^SearchConditionExpression must be provided when SearchSchema has a HASH key$/;
      await refused({ ...valid(), SearchConditionExpression: '#embedder = :embedder', ExpressionAttributeNames: { '#embedder': attribute.embedder }, ExpressionAttributeValues: { ':embedder': { S: embedder } } }, 'ValidationException', hashMissing);
      await refused({ ...valid(), SearchConditionExpression: undefined, ExpressionAttributeNames: undefined, ExpressionAttributeValues: undefined }, 'ValidationException', hashMissing);
    });

    it('an operator other than equality', async () => {
      const invalid = /^Invalid comparator used in SearchConditionExpression$/;
      await refused({ ...valid(), SearchConditionExpression: '#scope = :scope AND #embedder <> :embedder' }, 'ValidationException', invalid);
      await refused({ ...valid(), SearchConditionExpression: '#scope = :scope OR #embedder = :embedder' }, 'ValidationException', invalid);
      await refused({ ...valid(), SearchConditionExpression: 'begins_with(#scope, :scope)', ExpressionAttributeNames: { '#scope': attribute.memoryScope }, ExpressionAttributeValues: { ':scope': { S: 'USER#' } } }, 'ValidationException', invalid);
    });

    it('an index the table does not have, and a table that does not exist', async () => {
      await refused({ ...valid(), IndexName: 'gsi1' }, 'ValidationException', /^The table does not have the specified index: gsi1$/);
      await refused({ ...valid(), TableName: uniqueName('missing') }, 'ResourceNotFoundException', /.+/);
    });
  });

  it('refuses a write whose vector the index could not hold: another length, or not a list of numbers', async () => {
    const item = (vector: unknown) => ({ pk: 'USER#ana', sk: 'MEM#bad', [attribute.vector]: vector, [attribute.memoryScope]: 'USER#ana', [attribute.embedder]: embedder });
    const refusedWrite = (write: Promise<unknown>, message: RegExp) =>
      assert.rejects(write, (error: Error) => {
        assert.equal(error.name, 'ValidationException');
        assert.match(error.message, message);
        return true;
      });
    await refusedWrite(connection.documents.send(new PutCommand({ TableName: tableName, Item: item([1, 0]) })), /vector has 2 dimensions; the vector index memvec has 8/);
    await refusedWrite(connection.documents.send(new PutCommand({ TableName: tableName, Item: item('0.1,0.2') })), /Invalid parameter type/);
    await refusedWrite(
      connection.documents.send(new TransactWriteCommand({ TransactItems: [{ Put: { TableName: tableName, Item: item([...randomVector(), 1]) } }] })),
      /vector has 9 dimensions/,
    );
    // A vector of the index's length is stored, even on an item the index leaves out (no memscope).
    await connection.documents.send(new PutCommand({ TableName: tableName, Item: { pk: 'USER#ana', sk: 'PREF#x', [attribute.vector]: randomVector() } }));
  });

  it('an index added to a table with UpdateTable is not ready, and refuses searches, until its backfill ends', async () => {
    const other = uniqueName('vectors-later');
    await connection.client.send(new CreateTableCommand(tableDefinition(other)));
    const withIndex = tableDefinition(other, { vectorDimension: dimension });
    await connection.client.send(
      new UpdateTableCommand({
        TableName: other,
        AttributeDefinitions: withIndex.AttributeDefinitions,
        VectorIndexUpdates: [{ Create: vectorIndex(dimension) }],
      }),
    );
    assert.deepEqual(vectorIndexOf(await describeTable(other)), { dimension, ready: false });
    const search = { scopePartition: 'USER#ana', embedder, vector: randomVector(), topK: 3 };
    await assert.rejects(searchVectors(connection.client, other, search), (error: Error) => {
      assert.equal(error.name, 'ValidationException');
      assert.equal(error.message, `Cannot search backfilling vector index: ${vectorIndexName}`);
      return true;
    });
    double.setBackfilling(other, false);
    assert.deepEqual(vectorIndexOf(await describeTable(other)), { dimension, ready: true });
    assert.deepEqual((await searchVectors(connection.client, other, search)).hits, []);
  });
});
