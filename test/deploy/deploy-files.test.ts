/**
 * deploy/ is generated, and must say what the code does: the committed files are what the generator
 * writes now, the CloudFormation table is tableDefinition(), the policy allows exactly what the code
 * sends, and the template's table works for the pack in DynamoDB Local.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import {
  CreateTableCommand,
  DescribeTableCommand,
  DescribeTimeToLiveCommand,
  UpdateTimeToLiveCommand,
  type CreateTableCommandInput,
} from '@aws-sdk/client-dynamodb';
import { parse } from 'yaml';
import { ChatMemory } from '../../lib/memory/chat-memory';
import { tableAccess, type AccessScope, type Sent } from '../../lib/memory/table-access';
import { attribute, tableDefinition, userIndex, vectorIndex, vectorIndexName } from '../../lib/memory/table-layout';
import { parseStoreRequest } from '../../lib/schemas/store-request';
import { deployFiles } from '../../scripts/deploy/files';
import { statementIds } from '../../scripts/deploy/iam-policy';
import { localConnection, uniqueName } from '../support/memory-table';

const root = resolve(__dirname, '..', '..', '..');
const read = (path: string) => readFileSync(join(root, path), 'utf8');

interface Statement {
  Sid: string;
  Effect: string;
  Action: string[];
  Resource: unknown;
  Condition?: unknown;
}

/** The pack's own TypeScript: what ships and talks to DynamoDB. */
function shippedSources(): string[] {
  const walk = (dir: string): string[] =>
    readdirSync(join(root, dir), { withFileTypes: true }).flatMap((entry) =>
      entry.isDirectory() ? walk(join(dir, entry.name)) : entry.name.endsWith('.ts') ? [join(dir, entry.name)] : [],
    );
  return ['lib', 'nodes', 'credentials'].flatMap(walk);
}

/**
 * What the code sends, read from the source: every `new XCommand(`, every `waitUntil…(`, every part of
 * a transaction (`Put: {`, `ConditionCheck: {`, …) and every query naming an index (`IndexName:`,
 * except in the table's own definition). A transaction is authorized by its parts, not by itself.
 * vector-search.ts names its index for SearchVectors, not for a Query.
 */
function sentByTheCode(): Set<string> {
  const sent = new Set<string>();
  for (const path of shippedSources()) {
    const source = read(path);
    for (const [, command] of source.matchAll(/new (\w+Command)\(/g)) sent.add(command!);
    for (const [, waiter] of source.matchAll(/\b(waitUntil\w+)\(/g)) sent.add(waiter!);
    for (const [, part] of source.matchAll(/\b(Put|Update|Delete|ConditionCheck): \{/g)) sent.add(`TransactWriteCommand.${part}`);
    const ownIndexName = path.endsWith('table-layout.ts') || path.endsWith('vector-search.ts');
    if (!ownIndexName && /\bIndexName:/.test(source)) sent.add('QueryCommand.IndexName');
  }
  assert.ok(sent.delete('TransactWriteCommand'), 'the code sends transactions');
  return sent;
}

function scopeActions(scope: AccessScope): string[] {
  return [...new Set(tableAccess.filter((access) => access.scope === scope).map((access) => access.action))].sort();
}

describe('deploy files', () => {
  const committed = (path: string) => {
    try {
      return read(path);
    } catch {
      return undefined;
    }
  };

  it('are what the generator writes from the layout and the permission list', () => {
    for (const [path, text] of Object.entries(deployFiles())) {
      assert.ok(committed(path) === text, `${path} is not up to date: run npm run deploy:generate and commit it`);
    }
  });

  it('allow exactly what the code sends: nothing sent without a permission, no permission nothing sends', () => {
    const listed = new Set<Sent>(tableAccess.flatMap((access) => access.sentAs));
    assert.deepEqual([...sentByTheCode()].sort(), [...listed].sort(), 'lib/memory/table-access.ts and the code disagree');
  });

  it('the policy has one statement per scope, on the table or its index, and never Scan or DeleteTable', () => {
    const policy = JSON.parse(read('deploy/iam-policy.json')) as { Statement: Statement[] };
    const table = 'arn:aws:dynamodb:*:*:table/chat-memory';
    const expected: Record<AccessScope, string> = {
      items: table,
      index: `${table}/index/${userIndex}`,
      vectorIndex: `${table}/index/${vectorIndexName}`,
      tableSetup: table,
    };
    assert.deepEqual(
      policy.Statement.map((s) => s.Sid),
      (Object.keys(expected) as AccessScope[]).map((scope) => statementIds[scope]),
    );
    for (const scope of Object.keys(expected) as AccessScope[]) {
      const statement = policy.Statement.find((s) => s.Sid === statementIds[scope])!;
      assert.equal(statement.Effect, 'Allow');
      assert.deepEqual([...statement.Action].sort(), scopeActions(scope), scope);
      assert.equal(statement.Resource, expected[scope], scope);
    }
    const actions = policy.Statement.flatMap((s) => s.Action);
    for (const never of ['dynamodb:Scan', 'dynamodb:DeleteTable', 'dynamodb:*']) assert.ok(!actions.includes(never), never);
    assert.ok(actions.every((action) => !action.includes('*')), 'no wildcard action');
  });

  it('the tenant-prefix example never allows SearchVectors, which LeadingKeys cannot limit to the tenant', () => {
    const example = JSON.parse(read('deploy/iam-policy-tenant-prefix.example.json')) as { Statement: Statement[] };
    assert.deepEqual(example.Statement.map((s) => s.Sid), [statementIds.items, statementIds.index]);
    assert.ok(example.Statement.every((s) => s.Condition !== undefined), 'every statement is limited by LeadingKeys');
    assert.ok(!example.Statement.flatMap((s) => s.Action).includes('dynamodb:SearchVectors'));
  });

  describe('CloudFormation template', () => {
    const template = () => parse(read('deploy/cloudformation.yaml')) as {
      Parameters: Record<string, Record<string, unknown>>;
      Conditions: Record<string, unknown>;
      Resources: Record<string, { Type: string; Properties: Record<string, unknown> }>;
    };
    const table = () => template().Resources['MemoryTable']!;
    /** A value with an `Fn::If` on the vector index's condition taken one way (AWS::NoValue: no value). */
    const withVectorIndex = (value: unknown, on: boolean): unknown => {
      const branches = (value as { 'Fn::If'?: [string, unknown, unknown] })['Fn::If'];
      if (!branches || branches[0] !== 'HasVectorIndex') return value;
      const taken = on ? branches[1] : branches[2];
      return (taken as { Ref?: string }).Ref === 'AWS::NoValue' ? undefined : taken;
    };

    it('defines the table of tableDefinition(), with TTL, PITR, deletion protection and optional KMS', () => {
      const { Type, Properties } = table();
      assert.equal(Type, 'AWS::DynamoDB::Table');
      const definition = tableDefinition('unused');
      for (const name of ['BillingMode', 'KeySchema', 'GlobalSecondaryIndexes'] as const) {
        assert.deepEqual(Properties[name], definition[name], name);
      }
      assert.deepEqual(withVectorIndex(Properties['AttributeDefinitions'], false), definition.AttributeDefinitions);
      assert.equal(withVectorIndex(Properties['VectorIndexes'], false), undefined);
      assert.deepEqual(Properties['TimeToLiveSpecification'], { AttributeName: attribute.expiresAt, Enabled: true });
      assert.deepEqual(Properties['PointInTimeRecoverySpecification'], { PointInTimeRecoveryEnabled: true });
      assert.equal(Properties['DeletionProtectionEnabled'], true);
      assert.deepEqual(Properties['SSESpecification'], {
        'Fn::If': ['UseCustomerManagedKey', { SSEEnabled: true, SSEType: 'KMS', KMSMasterKeyId: { Ref: 'KmsKeyArn' } }, { Ref: 'AWS::NoValue' }],
      });
    });

    it('adds the vector index of vectorIndex() only when MemoryVectorDimension is not 0', () => {
      const { Parameters, Conditions } = template();
      assert.deepEqual(
        { ...Parameters['MemoryVectorDimension'], Description: undefined },
        { Type: 'Number', Default: 0, MinValue: 0, MaxValue: 4096, Description: undefined },
      );
      assert.deepEqual(Conditions['HasVectorIndex'], { 'Fn::Not': [{ 'Fn::Equals': [{ Ref: 'MemoryVectorDimension' }, '0'] }] });
      const { Properties } = table();
      assert.deepEqual(withVectorIndex(Properties['VectorIndexes'], true), [vectorIndex({ Ref: 'MemoryVectorDimension' })]);
      assert.deepEqual(
        withVectorIndex(Properties['AttributeDefinitions'], true),
        tableDefinition('unused', { vectorDimension: 384 }).AttributeDefinitions,
        'the search attributes are declared with the index, and only then',
      );
    });

    it("gives the managed policy iam-policy.json's statements, on the stack's table", () => {
      const policy = JSON.parse(read('deploy/iam-policy.json')) as { Statement: Statement[] };
      const { Type, Properties } = template().Resources['MemoryPolicy']!;
      assert.equal(Type, 'AWS::IAM::ManagedPolicy');
      const statements = (Properties['PolicyDocument'] as { Statement: Array<Statement | { 'Fn::If': [string, Statement, unknown] }> }).Statement;
      // Each condition taken as true: the create-table statement and the KMS key statement are in.
      const all = statements.map((s) => ('Fn::If' in s ? s['Fn::If'][1] : s));
      const withoutResource = ({ Resource: _, ...rest }: Statement) => rest;
      assert.deepEqual(all.filter((s) => s.Sid !== 'UseTableKeyThroughDynamoDB').map(withoutResource), policy.Statement.map(withoutResource));
      const tableArn = { 'Fn::GetAtt': ['MemoryTable', 'Arn'] };
      assert.deepEqual(all.find((s) => s.Sid === statementIds.items)!.Resource, tableArn);
      assert.deepEqual(all.find((s) => s.Sid === statementIds.index)!.Resource, { 'Fn::Sub': `\${MemoryTable.Arn}/index/${userIndex}` });
      assert.deepEqual(all.find((s) => s.Sid === statementIds.vectorIndex)!.Resource, { 'Fn::Sub': `\${MemoryTable.Arn}/index/${vectorIndexName}` });
      const search = statements.find((s) => 'Fn::If' in s && s['Fn::If'][1].Sid === statementIds.vectorIndex);
      assert.deepEqual(search && 'Fn::If' in search && search['Fn::If'][0], 'HasVectorIndex', 'SearchVectors only with the index');
    });

    // DynamoDB Local has no point-in-time recovery and no KMS: those two are checked as written above.
    it("creates a table in DynamoDB Local that the pack stores in and reads from", async function () {
      this.timeout(120_000);
      const { Properties } = table();
      const tableName = uniqueName('deploy');
      const connection = localConnection();
      try {
        const input: CreateTableCommandInput = {
          TableName: tableName,
          BillingMode: Properties['BillingMode'] as CreateTableCommandInput['BillingMode'],
          AttributeDefinitions: withVectorIndex(Properties['AttributeDefinitions'], false) as CreateTableCommandInput['AttributeDefinitions'],
          KeySchema: Properties['KeySchema'] as CreateTableCommandInput['KeySchema'],
          GlobalSecondaryIndexes: Properties['GlobalSecondaryIndexes'] as CreateTableCommandInput['GlobalSecondaryIndexes'],
          DeletionProtectionEnabled: Properties['DeletionProtectionEnabled'] as boolean,
        };
        await connection.client.send(new CreateTableCommand(input));
        await connection.client.send(
          new UpdateTimeToLiveCommand({
            TableName: tableName,
            TimeToLiveSpecification: Properties['TimeToLiveSpecification'] as { AttributeName: string; Enabled: boolean },
          }),
        );
        const { Table } = await connection.client.send(new DescribeTableCommand({ TableName: tableName }));
        assert.deepEqual(Table?.KeySchema, tableDefinition(tableName).KeySchema);
        assert.deepEqual(Table?.GlobalSecondaryIndexes?.map((index) => index.IndexName), [userIndex]);
        const ttl = await connection.client.send(new DescribeTimeToLiveCommand({ TableName: tableName }));
        assert.equal(ttl.TimeToLiveDescription?.AttributeName, attribute.expiresAt);

        const memory = new ChatMemory({ documents: connection.documents, tableName });
        const sessionId = uniqueName('s');
        await memory.store(parseStoreRequest({ sessionId, userId: 'ana', role: 'user', payload: 'hello from the stack' }));
        assert.deepEqual((await memory.history({ sessionId })).map((m) => m.content), ['hello from the stack']);
        const sessions = await memory.listSessions({ userId: 'ana' });
        assert.deepEqual(sessions.sessions.map((s) => s.sessionId), [sessionId]);
      } finally {
        connection.client.destroy();
      }
    });
  });
});
