/**
 * The English of every MemoryServiceError message, by text id. `__name__` stands for one of the
 * error's values; `__call__` is the failing call in brackets with a leading space (" (PutItem)") or
 * nothing, the same in every language. Node-RED shows these sentences from the config node's
 * catalog (`errors.<id>` in locales/<lang>/dynamodb-memory-config.json), so they can be translated;
 * this copy is for users of lib/ without Node-RED, and a test keeps it equal to the en-US catalog.
 */
export const failureTexts = {
  'table-missing': 'table "__tableName__" is missing: enable "create table" in the connection, or click Create table',
  'table-missing-region':
    'table "__tableName__" is missing: enable "create table" in the connection, or click Create table (looked in __region__: if the table is in another region, set that region)',
  'access-denied':
    'access denied: these credentials may not make this call__call__ on table "__tableName__": allow it in their IAM policy (deploy/iam-policy.json lists every action the nodes use)',
  'access-denied-iam-action':
    'access denied: these credentials may not call __iamAction____call__ on table "__tableName__": allow it in their IAM policy (deploy/iam-policy.json lists every action the nodes use)',
  'expired-token': 'the session token has expired: enter fresh temporary credentials in the connection, or use the credential chain',
  'bad-keys': "the access key id or secret is wrong: check the connection's credentials",
  'no-credentials': 'no AWS credentials found: set access keys in the connection, or give Node-RED a role, profile or environment variables',
  'wrong-region': '"__region__" is not an AWS region: set the table\'s region in the connection, e.g. eu-west-1',
  'region-not-found': 'cannot find __endpoint__: check that "__region__" is the table\'s AWS region, and the network',
  'endpoint-unreachable': 'cannot reach DynamoDB at __endpoint__: check the endpoint and the network',
  'table-not-ready-in-time':
    'table "__tableName__" did not become ready in time: DynamoDB may still be creating it; check the table, then send the msg again',
  'table-not-ready': 'table "__tableName__" did not become ready: DynamoDB may still be creating it; check the table, then send the msg again',
  timeout: 'DynamoDB at __endpoint__ did not answer in time__call__: check the endpoint and the network, or raise the request timeout',
  throttled:
    'DynamoDB is throttling: retries exhausted__call__ on table "__tableName__"; send the msg again later, or raise the table\'s capacity or max attempts',
  conflict: 'another write to the same items got in first__call__ on table "__tableName__", retries exhausted: send the msg again',
  'validation-item-size': 'DynamoDB refused the request__call__ on table "__tableName__": an item is larger than DynamoDB allows (400 KB)',
  'validation-key-size': 'DynamoDB refused the request__call__ on table "__tableName__": a key is longer than DynamoDB allows',
  'validation-key-schema':
    'DynamoDB refused the request__call__ on table "__tableName__": the table\'s keys are not the ones the memory nodes use: point the connection at a table made for them',
  'validation-empty-string': 'DynamoDB refused the request__call__ on table "__tableName__": an empty string where DynamoDB does not allow one',
  'validation-reason': 'DynamoDB refused the request__call__ on table "__tableName__": __reason__',
  'validation-invalid': 'DynamoDB refused the request__call__ on table "__tableName__": the request was invalid',
  'service-error': 'DynamoDB failed__call__ (__failure__), retries exhausted: send the msg again later',
  'service-refused': 'DynamoDB refused the request__call__ on table "__tableName__" (__failure__)',
  'service-refused-unknown': 'DynamoDB refused the request__call__ on table "__tableName__" (unknown error)',
} as const;

export type FailureText = keyof typeof failureTexts;

