/**
 * explainAwsFailure: SDK-shaped errors built with the SDK's own exception classes for what DynamoDB
 * Local cannot produce (access denied, throttling, expired tokens, AWS's echoing validation
 * messages), and real ones from DynamoDB Local and a closed port.
 */
import assert from 'node:assert/strict';
import {
  DescribeTableCommand,
  DynamoDBServiceException,
  ProvisionedThroughputExceededException,
  ResourceNotFoundException,
  TransactionCanceledException,
} from '@aws-sdk/client-dynamodb';
import { GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import fc from 'fast-check';
import { EntityNotFoundError, MemoryInputError, SessionOwnershipError } from '../../lib/errors/input-errors';
import { MemoryServiceError } from '../../lib/errors/service-error';
import { explainAwsFailure, type FailurePlace } from '../../lib/memory/aws-failure';
import { connect, type Authentication } from '../../lib/memory/connection';
import { freePort } from '../../scripts/dynamodb-local';
import { localCredentials, memoryTable, uniqueName } from '../support/memory-table';
import { dynamoDBLocal } from '../support/root-hooks';

const aws: FailurePlace = { tableName: 'chat-memory', region: 'eu-west-1' };
const metadata = { httpStatusCode: 400, requestId: 'REQ123', attempts: 3, totalRetryDelay: 120 };
const secret = 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYSECRETKEY';
const token = 'FwoGZXIvYXdzEXAMPLESESSIONTOKEN';

/** A service error as the SDK makes it, with a raw response that holds what must not leak. */
function serviceError(name: string, message: string, extra: Record<string, unknown> = {}): DynamoDBServiceException {
  const error = new DynamoDBServiceException({ name, $fault: 'client', $metadata: metadata, message });
  Object.assign(error, { $response: { statusCode: 400, headers: { 'x-amz-security-token': token } }, ...extra });
  return error;
}

function explained(error: unknown, where: FailurePlace = aws): MemoryServiceError {
  const result = explainAwsFailure(error, where);
  assert.ok(result instanceof MemoryServiceError, `${String(result)} is a MemoryServiceError`);
  return result;
}

/** Everything an error would show anywhere: message, stack, own properties (enumerable or not), JSON. */
function everything(error: Error): string {
  const own = Object.getOwnPropertyNames(error).map((key) => `${key}=${JSON.stringify((error as unknown as Record<string, unknown>)[key])}`);
  return [String(error), error.stack, JSON.stringify(error), ...own].join('\n');
}

function localClient(endpoint: string, authentication: Authentication) {
  return connect({ region: 'us-east-1', endpoint, authentication, requestTimeoutMs: 5000, maxAttempts: 1 });
}

describe('explainAwsFailure', () => {
  describe('SDK-shaped errors', () => {
    it('a missing table: names it, says how to create it, and the region it looked in', () => {
      const error = explained(new ResourceNotFoundException({ $metadata: metadata, message: 'Requested resource not found' }));
      assert.equal(error.code, 'table-missing');
      assert.equal(
        error.message,
        'table "chat-memory" is missing: enable "create table" in the connection, or click Create table (looked in eu-west-1: if the table is in another region, set that region)',
      );
      assert.deepEqual(
        { ...error.params },
        { tableName: 'chat-memory', endpoint: 'https://dynamodb.eu-west-1.amazonaws.com', region: 'eu-west-1', awsError: 'ResourceNotFoundException', httpStatusCode: 400, requestId: 'REQ123', attempts: 3 },
      );
    });

    it('access denied: keeps the IAM action, drops the account id and ARNs', () => {
      const error = explained(
        serviceError(
          'AccessDeniedException',
          'User: arn:aws:iam::123456789012:user/bob is not authorized to perform: dynamodb:PutItem on resource: arn:aws:dynamodb:eu-west-1:123456789012:table/chat-memory because no identity-based policy allows the dynamodb:PutItem action',
        ),
      );
      assert.equal(error.code, 'access-denied');
      assert.match(error.message, /^access denied: these credentials may not call dynamodb:PutItem on table "chat-memory"/);
      assert.match(error.message, /deploy\/iam-policy\.json/);
      assert.equal(error.params['iamAction'], 'dynamodb:PutItem');
      assert.doesNotMatch(everything(error), /123456789012|arn:|bob/);
    });

    it('wrong keys, whatever AWS echoes of the signature', () => {
      for (const name of ['UnrecognizedClientException', 'InvalidSignatureException']) {
        const error = explained(
          serviceError(name, `The request signature we calculated does not match.\n\nThe Canonical String for this request should have been\n'POST\n/\nx-amz-security-token:${token}'`),
        );
        assert.equal(error.code, 'bad-keys');
        assert.equal(error.message, "the access key id or secret is wrong: check the connection's credentials");
        assert.doesNotMatch(everything(error), new RegExp(token));
      }
    });

    it('an expired session token', () => {
      const error = explained(serviceError('ExpiredTokenException', 'The security token included in the request is expired'));
      assert.equal(error.code, 'expired-token');
      assert.match(error.message, /session token has expired/);
    });

    it('no credentials on the chain, and a region that is not a region name', () => {
      const none = Object.assign(new Error('Could not load credentials from any providers'), { name: 'CredentialsProviderError', tryNextLink: false });
      assert.equal(explained(none).code, 'no-credentials');
      const region = explained(new Error('Region not accepted: region="eu west" is not a valid hostname component.'), { tableName: 't', region: 'eu west' });
      assert.equal(region.code, 'wrong-region');
      assert.match(region.message, /^"eu west" is not an AWS region/);
    });

    it('throttling after the retries, by name or as a transaction cancelled for throttling', () => {
      const throttled = explained(new ProvisionedThroughputExceededException({ $metadata: metadata, message: 'Rate exceeded' }));
      assert.equal(throttled.code, 'throttled');
      assert.match(throttled.message, /^DynamoDB is throttling: retries exhausted/);
      const cancelled = explained(
        new TransactionCanceledException({
          $metadata: metadata,
          message: 'Transaction cancelled, please refer cancellation reasons for specific reasons [None, ThrottlingError]',
          CancellationReasons: [{ Code: 'None' }, { Code: 'ThrottlingError', Item: { pk: { S: 'LEAKED-ITEM' } } }],
        }),
      );
      assert.equal(cancelled.code, 'throttled');
      assert.doesNotMatch(everything(cancelled), /LEAKED-ITEM/);
    });

    it('a conflict that outlasted the retries', () => {
      const error = explained(
        new TransactionCanceledException({ $metadata: metadata, message: 'Transaction cancelled', CancellationReasons: [{ Code: 'TransactionConflict' }] }),
        { ...aws, action: 'TransactWriteItems' },
      );
      assert.equal(error.code, 'conflict');
      assert.match(error.message, /\(TransactWriteItems\) on table "chat-memory", retries exhausted: send the msg again/);
    });

    it('a transaction DynamoDB cancelled as invalid: the reason, not a conflict', () => {
      const error = explained(
        new TransactionCanceledException({
          $metadata: metadata,
          message: 'Transaction cancelled, please refer cancellation reasons for specific reasons [None, ValidationError]',
          CancellationReasons: [
            { Code: 'None' },
            { Code: 'ValidationError', Message: 'One or more parameter values were invalid: Size of hashkey has exceeded the maximum size limit of 2048 bytes' },
          ],
        }),
        { ...aws, action: 'TransactWriteItems' },
      );
      assert.equal(error.code, 'validation');
      assert.match(error.message, /^DynamoDB refused the request \(TransactWriteItems\) on table "chat-memory": a key is longer than DynamoDB allows/);
    });

    it('a 5xx after the retries', () => {
      const error = explained(new DynamoDBServiceException({ name: 'InternalServerError', $fault: 'server', $metadata: { ...metadata, httpStatusCode: 500 }, message: 'oops' }));
      assert.equal(error.code, 'service-error');
      assert.match(error.message, /InternalServerError/);
    });

    it('validation errors: a plain reason, without the values AWS echoes', () => {
      const cases: Array<[string, RegExp]> = [
        ['One or more parameter values were invalid: Type mismatch for key pk expected: S actual: N', /keys are not the ones the memory nodes use/],
        ['Item size has exceeded the maximum allowed size', /larger than DynamoDB allows/],
        ['One or more parameter values were invalid: Size of hashkey has exceeded the maximum size limit of 2048 bytes', /a key is longer/],
        ['Invalid UpdateExpression: Syntax error; token: "LEAKVALUE", near: "SET LEAKVALUE"', /: Invalid UpdateExpression$/],
        ['ExpressionAttributeValues contains invalid value: One or more parameter values were invalid: An AttributeValue may not contain an empty string for key :LEAKVALUE', /: an empty string where DynamoDB does not allow one$/],
        ['Invalid KeyConditionExpression: Attribute name is a reserved keyword; reserved keyword: LEAKVALUE', /: Invalid KeyConditionExpression$/],
      ];
      for (const [message, expected] of cases) {
        const error = explained(serviceError('ValidationException', message), { ...aws, action: 'UpdateItem' });
        assert.equal(error.code, 'validation');
        assert.match(error.message, /^DynamoDB refused the request \(UpdateItem\) on table "chat-memory": /);
        assert.match(error.message, expected, message);
        assert.doesNotMatch(everything(error), /LEAKVALUE/);
      }
    });

    it('never repeats a value AWS put after a colon or in quotes', () => {
      fc.assert(
        fc.property(fc.string({ maxLength: 60 }), fc.string({ minLength: 1, maxLength: 40 }), fc.constantFrom(': ', ' "', " '", ' {', ' ['), (lead, value, separator) => {
          const error = explained(serviceError('ValidationException', `${lead.replace(/\W/g, ' ')}${separator}QZXV${value}`));
          assert.doesNotMatch(everything(error), /QZXV/);
        }),
      );
    });

    it('the network: unreachable endpoint, a region without DynamoDB, a timeout', () => {
      const refused = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:8000'), { code: 'ECONNREFUSED', $metadata: { attempts: 3 } });
      const local = explained(refused, { tableName: 't', region: 'us-east-1', endpoint: 'http://user:pass@localhost:8000/path?q=1' });
      assert.equal(local.code, 'endpoint-unreachable');
      assert.equal(local.message, 'cannot reach DynamoDB at http://localhost:8000: check the endpoint and the network');
      assert.doesNotMatch(everything(local), /pass/);

      const noHost = Object.assign(new Error('getaddrinfo ENOTFOUND dynamodb.mars-north-9.amazonaws.com'), { code: 'ENOTFOUND', $metadata: {} });
      const region = explained(noHost, { tableName: 't', region: 'mars-north-9' });
      assert.equal(region.code, 'wrong-region');
      assert.match(region.message, /cannot find https:\/\/dynamodb\.mars-north-9\.amazonaws\.com: check that "mars-north-9" is the table's AWS region/);

      const timeout = Object.assign(new Error('a request has exceeded the configured 1000 ms requestTimeout.'), { name: 'TimeoutError', code: 'ETIMEDOUT', $metadata: {} });
      const slow = explained(timeout, { tableName: 't', endpoint: 'http://127.0.0.1:9' });
      assert.equal(slow.code, 'timeout');
      assert.match(slow.message, /did not answer in time/);
    });

    it('a table that did not become ready: about the table, not the network, and none of the responses the waiter saw', () => {
      const waiter = Object.assign(
        new Error('{"state":"TIMEOUT","observedResponses":{"arn:aws:dynamodb:eu-west-1:123456789012:table/chat-memory CREATING":3},"reason":"Waiter has timed out"}'),
        { name: 'TimeoutError' },
      );
      const error = explained(waiter);
      assert.equal(error.code, 'timeout');
      assert.match(error.message, /^table "chat-memory" did not become ready in time/);
      assert.doesNotMatch(everything(error), /123456789012/);
    });

    it('keeps no $response, no headers and no original error', () => {
      const error = explained(serviceError('ResourceNotFoundException', 'x'));
      assert.deepEqual(Object.getOwnPropertyNames(error).sort(), ['code', 'message', 'name', 'params', 'stack', 'text', 'values']);
      assert.doesNotMatch(everything(error), new RegExp(token));
    });

    it("passes the pack's own errors and non-SDK errors through unchanged", () => {
      const own = [new MemoryInputError('input.required', { field: 'sessionId' }), new SessionOwnershipError('s'), new EntityNotFoundError(['e'])];
      for (const error of own) assert.equal(explainAwsFailure(error, aws), error);
      const already = explained(new ResourceNotFoundException({ $metadata: metadata, message: 'x' }));
      assert.equal(explainAwsFailure(already, aws), already);
      const plain = new Error('DynamoDB left 3 writes unprocessed after 10 retries; run again to finish');
      assert.equal(explainAwsFailure(plain, aws), plain);
      assert.equal(explainAwsFailure('text', aws).message, 'text');
    });
  });

  describe('real errors', function () {
    this.timeout(60_000);

    it('from DynamoDB Local: a missing table', async () => {
      const client = localClient(dynamoDBLocal().endpoint, { type: 'keys', ...localCredentials });
      const tableName = uniqueName('missing');
      try {
        const error = await client.documents.send(new PutCommand({ TableName: tableName, Item: { pk: 'a', sk: 'b' } })).then(() => assert.fail('stored'), (e: unknown) => e);
        const explainedError = explained(error, { tableName, region: 'us-east-1', endpoint: dynamoDBLocal().endpoint });
        assert.equal(explainedError.code, 'table-missing');
        assert.equal(explainedError.message, `table "${tableName}" is missing: enable "create table" in the connection, or click Create table`);
        assert.equal(typeof explainedError.params['requestId'], 'string');
      } finally {
        client.client.destroy();
      }
    });

    it('from DynamoDB Local: a non-alphanumeric access key id, and the secret and token nowhere', async () => {
      const client = localClient(dynamoDBLocal().endpoint, { type: 'keys', accessKeyId: 'not-alphanumeric', secretAccessKey: secret, sessionToken: token });
      try {
        const error = await client.documents.send(new GetCommand({ TableName: 't', Key: { pk: 'a', sk: 'b' } })).then(() => assert.fail('read'), (e: unknown) => e);
        const explainedError = explained(error, { tableName: 't', endpoint: dynamoDBLocal().endpoint });
        assert.equal(explainedError.code, 'bad-keys');
        assert.doesNotMatch(everything(explainedError), new RegExp(`${token}|${secret.replace(/\//g, '\\/')}`));
      } finally {
        client.client.destroy();
      }
    });

    it('from DynamoDB Local: a ValidationException on a table with other keys', async () => {
      const table = await memoryTable();
      try {
        const error = await table.connection.documents.send(new PutCommand({ TableName: table.tableName, Item: { pk: 'LEAKVALUE', sk: 5 } })).then(() => assert.fail('stored'), (e: unknown) => e);
        const explainedError = explained(error, { tableName: table.tableName, endpoint: dynamoDBLocal().endpoint, action: 'PutItem' });
        assert.equal(explainedError.code, 'validation');
        assert.doesNotMatch(everything(explainedError), /LEAKVALUE/);
      } finally {
        table.close();
      }
    });

    it('from a closed port', async () => {
      const endpoint = `http://127.0.0.1:${await freePort()}`;
      const client = localClient(endpoint, { type: 'keys', ...localCredentials });
      try {
        const error = await client.client.send(new DescribeTableCommand({ TableName: 't' })).then(() => assert.fail('answered'), (e: unknown) => e);
        assert.equal((error as { code?: string }).code, 'ECONNREFUSED');
        const explainedError = explained(error, { tableName: 't', endpoint });
        assert.equal(explainedError.code, 'endpoint-unreachable');
        assert.equal(explainedError.message, `cannot reach DynamoDB at ${endpoint}: check the endpoint and the network`);
      } finally {
        client.client.destroy();
      }
    });
  });
});
