/**
 * Starts one real DynamoDB Local for the whole run (no DynamoDB mocks anywhere) and stops it at the
 * end. Tests find it through `dynamoDBLocal()`.
 */
import { startDynamoDBLocal, type DynamoDBLocal } from '../../scripts/dynamodb-local';

let engine: DynamoDBLocal | undefined;

export function dynamoDBLocal(): DynamoDBLocal {
  if (!engine) throw new Error('DynamoDB Local is not running (the root hooks start it)');
  return engine;
}

export const mochaHooks = {
  async beforeAll(this: Mocha.Context) {
    this.timeout(90_000);
    engine = await startDynamoDBLocal();
  },
  async afterAll() {
    await engine?.stop();
  },
};
