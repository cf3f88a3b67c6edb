/**
 * Every DynamoDB permission the pack needs, each with what the code sends that needs it. The IAM
 * policy and the CloudFormation stack in deploy/ are generated from this list
 * (scripts/generate-deploy.ts), and test/deploy/deploy-files.test.ts checks it against the commands
 * the code actually sends: a new command without a permission here fails the suite.
 *
 * DynamoDB authorizes each part of a TransactWriteItems as the single-item action it is (a Put as
 * PutItem, a ConditionCheck as ConditionCheckItem), so the parts are listed, not the transaction.
 * The pack never scans and never deletes a table (tests scan, with their own credentials).
 */

/** What the code sends: an SDK command, a waiter, a part of a TransactWriteCommand, or a Query on the index. */
export type Sent =
  | 'GetCommand'
  | 'PutCommand'
  | 'UpdateCommand'
  | 'DeleteCommand'
  | 'QueryCommand'
  | 'BatchGetCommand'
  | 'BatchWriteCommand'
  | 'TransactWriteCommand.Put'
  | 'TransactWriteCommand.Update'
  | 'TransactWriteCommand.Delete'
  | 'TransactWriteCommand.ConditionCheck'
  | 'QueryCommand.IndexName'
  | 'SearchVectorsCommand'
  | 'DescribeTableCommand'
  | 'DescribeTimeToLiveCommand'
  | 'waitUntilTableExists'
  | 'CreateTableCommand'
  | 'UpdateTimeToLiveCommand';

/**
 * Which resource a permission applies to: the table's items, the user index, the vector index, or
 * the table itself, only for setting the table up: the config node's "Create the table if it is
 * missing" option and its dialog's Test connection and Create table buttons (an operator who creates
 * the table another way drops that statement).
 */
export type AccessScope = 'items' | 'index' | 'vectorIndex' | 'tableSetup';

export interface TableAccess {
  action: `dynamodb:${string}`;
  scope: AccessScope;
  sentAs: Sent[];
  neededBy: string;
}

export const tableAccess: TableAccess[] = [
  {
    action: 'dynamodb:GetItem',
    scope: 'items',
    sentAs: ['GetCommand'],
    neededBy: 'owner checks, session statistics, a store to a new session, preference and entity read-before-write, summaries, context',
  },
  {
    action: 'dynamodb:PutItem',
    scope: 'items',
    sentAs: ['PutCommand', 'TransactWriteCommand.Put'],
    neededBy: 'store (message, messageId guard, user marker), summaries, preferences and their audit entries, entities, links, a forget job',
  },
  {
    action: 'dynamodb:UpdateItem',
    scope: 'items',
    sentAs: ['UpdateCommand', 'TransactWriteCommand.Update'],
    neededBy: 'store (session item), the table statistics\' flush (a counter shard), unlink (close), a forget job (marks the sessions, its progress and lease)',
  },
  {
    action: 'dynamodb:DeleteItem',
    scope: 'items',
    sentAs: ['DeleteCommand', 'TransactWriteCommand.Delete'],
    neededBy: 'preference delete, unlink (delete), the end of a forget job (its job item)',
  },
  {
    action: 'dynamodb:ConditionCheckItem',
    scope: 'items',
    sentAs: ['TransactWriteCommand.ConditionCheck'],
    neededBy: 'link (both entities exist), long-term memory writes (the user is not being forgotten, the session exists and is not)',
  },
  {
    action: 'dynamodb:Query',
    scope: 'items',
    sentAs: ['QueryCommand'],
    neededBy: 'history, context, clear and forget (keys to delete), preferences, graph neighbours',
  },
  {
    action: 'dynamodb:BatchGetItem',
    scope: 'items',
    sentAs: ['BatchGetCommand'],
    neededBy: 'table statistics (counter shards), graph neighbours (the entities), long-term memory recall (the candidates)',
  },
  {
    action: 'dynamodb:BatchWriteItem',
    scope: 'items',
    sentAs: ['BatchWriteCommand'],
    neededBy: 'clear a session, forget a user (deletes only)',
  },
  {
    action: 'dynamodb:Query',
    scope: 'index',
    sentAs: ['QueryCommand.IndexName'],
    neededBy: "a user's sessions, forget a user (and unfinished forget jobs, at each start), graph relations of one type",
  },
  {
    action: 'dynamodb:SearchVectors',
    scope: 'vectorIndex',
    sentAs: ['SearchVectorsCommand'],
    neededBy: 'long-term memory recall on a table with the vector index (without it, recall reads the scope\'s vectors with Query)',
  },
  {
    action: 'dynamodb:DescribeTable',
    scope: 'items',
    sentAs: ['DescribeTableCommand'],
    neededBy: 'long-term memory: whether the table has the vector index (every few minutes; without it, recall takes the exact path)',
  },
  {
    action: 'dynamodb:DescribeTable',
    scope: 'tableSetup',
    sentAs: ['DescribeTableCommand', 'waitUntilTableExists'],
    neededBy: 'create-table option and the Test connection / Create table buttons: does the table exist, is it active, its keys and index',
  },
  {
    action: 'dynamodb:DescribeTimeToLive',
    scope: 'tableSetup',
    sentAs: ['DescribeTimeToLiveCommand'],
    neededBy: 'Test connection / Create table buttons: TTL status',
  },
  {
    action: 'dynamodb:CreateTable',
    scope: 'tableSetup',
    sentAs: ['CreateTableCommand'],
    neededBy: 'create-table option and the Create table button, when the table is missing',
  },
  {
    action: 'dynamodb:UpdateTimeToLive',
    scope: 'tableSetup',
    sentAs: ['UpdateTimeToLiveCommand'],
    neededBy: 'create-table option and the Create table button: TTL on the new table',
  },
];
