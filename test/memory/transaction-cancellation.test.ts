/**
 * Reading a cancelled transaction: SDK-built errors for the shapes DynamoDB Local does not make
 * (throttling, conflicts, odd values), and one real cancellation from DynamoDB Local for the shape
 * the store relies on (the old item of a failed condition, as raw AttributeValues).
 */
import assert from 'node:assert/strict';
import { ConditionalCheckFailedException, TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import { PutCommand, TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import { transactionCancellation } from '../../lib/memory/transaction-cancellation';
import { memoryTable, uniqueName, type MemoryTable } from '../support/memory-table';

const metadata = { httpStatusCode: 400, requestId: 'REQ123' };

function cancelled(CancellationReasons?: unknown[]): TransactionCanceledException {
  return new TransactionCanceledException({
    $metadata: metadata,
    message: 'Transaction cancelled, please refer cancellation reasons for specific reasons',
    CancellationReasons: CancellationReasons as TransactionCanceledException['CancellationReasons'],
  });
}

describe('transaction cancellation', () => {
  it('is undefined for anything but a TransactionCanceledException', () => {
    const others: unknown[] = [
      undefined,
      null,
      'TransactionCanceledException',
      new Error('Transaction cancelled'),
      new ConditionalCheckFailedException({ $metadata: metadata, message: 'The conditional request failed' }),
      { CancellationReasons: [{ Code: 'ConditionalCheckFailed' }] },
    ];
    for (const error of others) assert.equal(transactionCancellation(error), undefined, String(error));
  });

  it("gives each action's code, message and old item, in the actions' order", () => {
    const oldItem = { pk: { S: 'SESSION#s-1' }, userId: { S: 'ana' } };
    const result = transactionCancellation(
      cancelled([
        { Code: 'None' },
        { Code: 'ConditionalCheckFailed', Message: 'The conditional request failed', Item: oldItem },
        { Code: 'ValidationError', Message: 'Item size has exceeded the maximum allowed size' },
      ]),
    );
    assert.deepEqual(result, {
      reasons: [
        { code: 'None' },
        { code: 'ConditionalCheckFailed', message: 'The conditional request failed', oldItem },
        { code: 'ValidationError', message: 'Item size has exceeded the maximum allowed size' },
      ],
      codes: ['None', 'ConditionalCheckFailed', 'ValidationError'],
      transient: false,
    });
  });

  it('is transient when any action met a conflict or throttling, and only then', () => {
    const transient = (...codes: string[]) => transactionCancellation(cancelled(codes.map((Code) => ({ Code }))))!.transient;
    assert.equal(transient('None', 'TransactionConflict'), true);
    assert.equal(transient('ThrottlingError', 'None'), true);
    assert.equal(transient('ProvisionedThroughputExceeded'), true);
    assert.equal(transient('None', 'ConditionalCheckFailed'), false);
    assert.equal(transient('ValidationError'), false);
  });

  it('keeps the place of a reason without a code, and takes a cancellation without reasons', () => {
    const odd = transactionCancellation(cancelled([{ Code: 'None' }, {}, null, { Code: 7, Item: 'not an item' }]));
    assert.deepEqual(odd?.reasons, [{ code: 'None' }, {}, {}, {}]);
    assert.deepEqual(odd?.codes, ['None', undefined, undefined, undefined]);
    assert.deepEqual(transactionCancellation(cancelled()), { reasons: [], codes: [], transient: false });
  });

  describe('from DynamoDB Local', () => {
    let table: MemoryTable;
    before(async () => (table = await memoryTable()));
    after(() => table.close());

    it("a failed condition with ALL_OLD: its code in its action's place, and the old item as raw AttributeValues", async () => {
      const { documents } = table.connection;
      const { tableName } = table;
      const session = { pk: `SESSION#${uniqueName('s')}`, sk: 'SESSION' };
      await documents.send(new PutCommand({ TableName: tableName, Item: { ...session, userId: 'ana', messageCount: 2 } }));
      const error = await documents
        .send(
          new TransactWriteCommand({
            TransactItems: [
              { Put: { TableName: tableName, Item: { pk: uniqueName('other'), sk: 'A' }, ConditionExpression: 'attribute_not_exists(pk)' } },
              {
                ConditionCheck: {
                  TableName: tableName,
                  Key: session,
                  ConditionExpression: '#owner = :owner',
                  ExpressionAttributeNames: { '#owner': 'userId' },
                  ExpressionAttributeValues: { ':owner': 'bo' },
                  ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
                },
              },
            ],
          }),
        )
        .then(
          () => assert.fail('the transaction was applied'),
          (e: unknown) => e,
        );
      const result = transactionCancellation(error);
      assert.ok(result, String(error));
      assert.deepEqual(result.codes, ['None', 'ConditionalCheckFailed']);
      assert.equal(result.transient, false);
      assert.equal(result.reasons[0]!.oldItem, undefined);
      assert.deepEqual(result.reasons[1]!.oldItem, { pk: { S: session.pk }, sk: { S: 'SESSION' }, userId: { S: 'ana' }, messageCount: { N: '2' } });
    });
  });
});
