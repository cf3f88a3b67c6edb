/**
 * Whether this table has the pack's vector index (vector-search.ts), asked of DescribeTable once
 * and again after `recheckMs`: an index may be added to a live table, and one being backfilled
 * becomes searchable later. A connection that may not call DescribeTable (the table-setup
 * statement of the IAM policy is optional) finds no index and recalls by the exact path.
 */
import { DescribeTableCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { TableHandle } from './table-handle';
import { vectorIndexOf, type VectorIndexState } from './vector-search';

const recheckMs = 5 * 60 * 1000;

export class VectorIndexWatch {
  private known: { state: VectorIndexState | undefined; at: number } | undefined;
  private asking: Promise<VectorIndexState | undefined> | undefined;

  constructor(private readonly table: TableHandle) {}

  /** The index as last seen (asked now when never asked, or when the answer is old). */
  async state(): Promise<VectorIndexState | undefined> {
    const nowMs = this.table.now();
    if (this.known !== undefined && nowMs - this.known.at < recheckMs) return this.known.state;
    this.asking ??= this.ask(nowMs).finally(() => (this.asking = undefined));
    return this.asking;
  }

  private async ask(nowMs: number): Promise<VectorIndexState | undefined> {
    let state: VectorIndexState | undefined;
    try {
      // The document client sends the low-level client's commands as they are.
      const client = this.table.documents as unknown as DynamoDBClient;
      const { Table } = await client.send(new DescribeTableCommand({ TableName: this.table.tableName }));
      state = Table === undefined ? undefined : vectorIndexOf(Table);
    } catch {
      state = undefined;
    }
    this.known = { state, at: nowMs };
    return state;
  }
}
