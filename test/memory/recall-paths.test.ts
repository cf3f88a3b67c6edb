/**
 * Recall's two paths give the same answer: a table with the pack's vector index, searched with
 * SearchVectors through the test double (test/support/vector-search-double.ts, not AWS), against a
 * table without one, recalled exactly, with the same records and the same clock. Records the index
 * cannot hold (another dimension) are written without its attributes and found by the exact path.
 */
import assert from 'node:assert/strict';
import { CreateTableCommand, UpdateTimeToLiveCommand } from '@aws-sdk/client-dynamodb';
import { ChatMemory } from '../../lib/memory/chat-memory';
import type { Connection } from '../../lib/memory/connection';
import { builtInEmbedder } from '../../lib/memory/embedding';
import { tableDefinition, timeToLive } from '../../lib/memory/table-layout';
import { parseRecallRequest, parseRememberRequest } from '../../lib/schemas/memory-request';
import { startFaultProxy, type FaultProxy } from '../support/fault-proxy';
import { localConnection, memoryTable, scanTable, uniqueName, type MemoryTable } from '../support/memory-table';
import { prng } from '../support/prng';
import { dynamoDBLocal } from '../support/root-hooks';
import { vectorSearchDouble, type VectorSearchDouble } from '../support/vector-search-double';

const topics = ['peanut allergy', 'train travel', 'jazz concerts', 'night shifts at the hospital', 'coffee without sugar', 'a dog named Rex'];

describe('recall through the vector index (the SearchVectors double, not AWS) and exactly', function () {
  this.timeout(120_000);
  let proxy: FaultProxy;
  let double: VectorSearchDouble;
  let connection: Connection;
  let indexed: ChatMemory;
  let plain: MemoryTable;
  let exact: ChatMemory;
  let indexedTable: string;
  const clock = Date.parse('2026-11-01T00:00:00Z');
  const random = prng(7);
  const users = Array.from({ length: 12 }, () => uniqueName('u'));
  const textOf = (i: number) => `${topics[i % topics.length]} note ${i}: ${['likes', 'asked about', 'mentioned', 'booked'][Math.floor(random() * 4)]} it`;

  before(async () => {
    proxy = await startFaultProxy(dynamoDBLocal().endpoint);
    double = vectorSearchDouble();
    proxy.double = double;
    connection = localConnection({ endpoint: proxy.endpoint });
    indexedTable = uniqueName('indexed');
    await connection.client.send(new CreateTableCommand(tableDefinition(indexedTable, { vectorDimension: builtInEmbedder.dimension })));
    await connection.client.send(new UpdateTimeToLiveCommand({ TableName: indexedTable, TimeToLiveSpecification: timeToLive }));
    indexed = new ChatMemory({ documents: connection.documents, tableName: indexedTable, now: () => clock });
    plain = await memoryTable();
    exact = new ChatMemory({ documents: plain.connection.documents, tableName: plain.tableName, now: () => clock });
    for (const [u, userId] of users.entries()) {
      // The same texts in every run (user ids are random, so they stay out of the texts).
      const records = Array.from({ length: 25 }, (_, i) => ({ text: textOf(i + u), importance: 1 + ((i * 7 + u) % 10), kind: i % 3 ? 'fact' : 'event', metadata: { owner: userId } }));
      for (const memory of [indexed, exact]) await memory.memories.remember(parseRememberRequest({ scope: 'user', userId, records }));
    }
  });

  after(async () => {
    connection?.client.destroy();
    plain?.close();
    await proxy?.close();
  });

  // The index ranks by similarity alone, so the paths agree when the score is similarity; with
  // recency and importance weighed in, the index path ranks only its most similar candidates.
  const similarityOnly = { weights: { similarity: 1, recency: 0, importance: 0 } };

  it('gives the same records and scores on both paths when the score is similarity, and searches with SearchVectors on the indexed table', async () => {
    const before = double.searches;
    let compared = 0;
    for (const [u, userId] of users.entries()) {
      for (const query of [topics[u % topics.length]!, 'what does this user like?']) {
        for (const extra of [similarityOnly, { ...similarityOnly, kind: 'fact' }, { ...similarityOnly, k: 8, minScore: 0.3 }]) {
          const request = parseRecallRequest({ scope: 'user', userId, query, ...extra });
          const [viaIndex, viaScan] = await Promise.all([indexed.memories.recall(request), exact.memories.recall(request)]);
          assert.equal(viaIndex.path, 'vector-index');
          assert.equal(viaScan.path, 'exact');
          const shown = (r: typeof viaIndex) => r.memories.map((m) => `${m.text} ${m.score.toFixed(9)}`);
          assert.deepEqual(shown(viaIndex), shown(viaScan), `${userId} "${query}" ${JSON.stringify(extra)}`);
          assert.ok(viaIndex.memories.every((m) => m.metadata['owner'] === userId), "another user's record came back");
          await Promise.all([viaIndex.accessRecorded, viaScan.accessRecorded]);
          compared++;
        }
      }
    }
    assert.equal(double.searches - before, compared, 'every recall on the indexed table went through SearchVectors');
  });

  it('ranks the index\'s candidates by the whole score, with the same scores as the exact path', async () => {
    for (const userId of users.slice(0, 4)) {
      const request = parseRecallRequest({ scope: 'user', userId, query: 'jazz concerts', k: 5 });
      const [viaIndex, viaScan] = await Promise.all([indexed.memories.recall(request), exact.memories.recall(request)]);
      const scores = new Map(viaScan.memories.map((m) => [m.text, m.score]));
      assert.ok(viaIndex.memories.length >= 1 && viaIndex.memories.length <= 5);
      for (let i = 1; i < viaIndex.memories.length; i++) assert.ok(viaIndex.memories[i - 1]!.score >= viaIndex.memories[i]!.score);
      // What both found scores the same; the exact path's best is never worse.
      for (const m of viaIndex.memories) if (scores.has(m.text)) assert.ok(Math.abs(scores.get(m.text)! - m.score) < 1e-9);
      assert.ok(viaScan.memories[0]!.score >= viaIndex.memories[0]!.score - 1e-9);
      await Promise.all([viaIndex.accessRecorded, viaScan.accessRecorded]);
    }
  });

  it('writes a vector of another dimension without the index attributes, and recalls it by the exact path', async () => {
    const userId = uniqueName('u');
    // The double refuses a write whose vector is not the index's dimension, as DynamoDB does.
    await indexed.memories.remember(parseRememberRequest({ scope: 'user', userId, records: [{ text: 'three numbers', embedding: [1, 2, 3] }] }));
    const [item] = (await scanTable(indexedTable)).filter((i) => i['pk'] === `USER#${userId}` && i['kind'] === 'memory');
    assert.equal(item!['vector'], undefined);
    assert.equal(item!['memscope'], undefined);
    const before = double.searches;
    const result = await indexed.memories.recall(parseRecallRequest({ scope: 'user', userId, query: 'x', embedding: [1, 2, 3.1] }));
    assert.equal(result.path, 'exact');
    assert.equal(result.memories[0]!.text, 'three numbers');
    assert.equal(double.searches, before);
  });
});
