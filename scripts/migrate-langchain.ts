/**
 * `npm run migrate:langchain -- --source-table X --target-table Y [options]`: copies a LangChain
 * (or Flowise) DynamoDB chat history table into this pack's layout (langchain-migration.ts). It
 * uses the AWS default credential chain (environment, profile via AWS_PROFILE, role) or, with
 * --endpoint, DynamoDB Local's dummy keys unless AWS_ACCESS_KEY_ID is set. Running it again stores
 * only what the source gained since. Exit code 1 when some session could not be migrated.
 */
import { parseArgs } from 'node:util';
import { ChatMemory } from '../lib/memory/chat-memory';
import { connect, type Authentication } from '../lib/memory/connection';
import { ensureTable } from '../lib/memory/table-setup';
import { migrateLangChainTable } from './langchain-migration';

const usage = `usage: npm run migrate:langchain -- --source-table <table> --target-table <table> [options]

  --source-table <name>          the LangChain / Flowise chat history table (read with Scan)
  --target-table <name>          this pack's table (--create-target makes it when missing)
  --region <region>              default: AWS_REGION, else us-east-1
  --endpoint <url>               e.g. http://localhost:8000 for DynamoDB Local
  --session-id-attribute <name>  the source's partition key (LangChain JS: id, the default; Flowise: its "Partition Key"; Python: SessionId)
  --messages-attribute <name>    the source's list of messages (default: messages; Python: History)
  --user-id-attribute <name>     an attribute of the source item naming the session's user (default: none, sessions without owner)
  --ttl-days <days>              migrated messages expire after this many days (default: never)
  --create-target                create the target table when it is missing`;

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      'source-table': { type: 'string' },
      'target-table': { type: 'string' },
      region: { type: 'string' },
      endpoint: { type: 'string' },
      'session-id-attribute': { type: 'string' },
      'messages-attribute': { type: 'string' },
      'user-id-attribute': { type: 'string' },
      'ttl-days': { type: 'string' },
      'create-target': { type: 'boolean' },
      help: { type: 'boolean' },
    },
  });
  if (values.help || !values['source-table'] || !values['target-table']) {
    console.log(usage);
    return values.help ? 0 : 2;
  }
  const ttlDays = values['ttl-days'] === undefined ? undefined : Number(values['ttl-days']);
  if (ttlDays !== undefined && !(ttlDays > 0)) throw new Error(`--ttl-days ${values['ttl-days']} is not a number of days greater than 0`);
  // DynamoDB Local takes any keys; AWS gets the default chain.
  const authentication: Authentication = values.endpoint && !process.env['AWS_ACCESS_KEY_ID']
    ? { type: 'keys', accessKeyId: 'local', secretAccessKey: 'local' }
    : { type: 'chain' };
  const connection = connect({
    region: values.region ?? process.env['AWS_REGION'] ?? 'us-east-1',
    ...(values.endpoint ? { endpoint: values.endpoint } : {}),
    authentication,
    requestTimeoutMs: 30_000,
    maxAttempts: 5,
  });
  const target = new ChatMemory({ documents: connection.documents, tableName: values['target-table'] });
  try {
    if (values['create-target']) await ensureTable(connection.client, values['target-table']);
    const started = Date.now();
    let sessions = 0;
    const result = await migrateLangChainTable({
      source: {
        documents: connection.documents,
        tableName: values['source-table'],
        ...(values['session-id-attribute'] ? { sessionIdAttribute: values['session-id-attribute'] } : {}),
        ...(values['messages-attribute'] ? { messagesAttribute: values['messages-attribute'] } : {}),
        ...(values['user-id-attribute'] ? { userIdAttribute: values['user-id-attribute'] } : {}),
      },
      target: { memory: target, documents: connection.documents },
      ...(ttlDays !== undefined ? { ttlDays } : {}),
      onSession: () => {
        if (++sessions % 100 === 0) console.log(`  ${sessions} sessions…`);
      },
    });
    console.log(`read ${result.items} items of ${values['source-table']} in ${((Date.now() - started) / 1000).toFixed(1)} s: `
      + `${result.sessions} sessions, ${result.messages} messages stored in ${values['target-table']}, ${result.alreadyMigrated} stored by an earlier run`);
    for (const { sessionId, reason } of result.skipped) console.log(`  not migrated: session "${sessionId}": ${reason}`);
    return result.skipped.length > 0 ? 1 : 0;
  } finally {
    await target.close();
    connection.client.destroy();
  }
}

main().then(
  (code) => (process.exitCode = code),
  (error: unknown) => {
    console.error(`migrate:langchain: ${(error as Error).message}`);
    process.exitCode = 1;
  },
);
