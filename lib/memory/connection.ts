/**
 * Makes the SDK clients for one DynamoDB connection: region, optional endpoint (DynamoDB Local or
 * another DynamoDB-compatible engine), how to authenticate, and the retry settings every call uses.
 */
import { DynamoDBClient, type DynamoDBClientConfig } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { meterConsumedCapacity } from './consumed-capacity';

export type Authentication =
  | { type: 'chain' }
  | { type: 'keys'; accessKeyId: string; secretAccessKey: string; sessionToken?: string }
  | { type: 'profile'; profile: string };

export interface ConnectionOptions {
  region: string;
  endpoint?: string;
  authentication: Authentication;
  /** Milliseconds one HTTP attempt may take before it is abandoned and retried. */
  requestTimeoutMs: number;
  /** Attempts per call, the first included (the SDK's standard retry mode, with backoff). */
  maxAttempts: number;
}

export interface Connection {
  client: DynamoDBClient;
  documents: DynamoDBDocumentClient;
}

function credentialsConfig(auth: Authentication): Partial<DynamoDBClientConfig> {
  switch (auth.type) {
    case 'keys':
      return {
        credentials: {
          accessKeyId: auth.accessKeyId,
          secretAccessKey: auth.secretAccessKey,
          ...(auth.sessionToken ? { sessionToken: auth.sessionToken } : {}),
        },
      };
    case 'profile':
      return { profile: auth.profile };
    case 'chain':
      return {};
  }
}

/**
 * Sockets per client. The SDK's timers run while a request waits for a free socket, so with the
 * default 50, a burst of concurrent flows would time out in the queue, not on the network.
 */
const maxSockets = 256;

export function connect(options: ConnectionOptions): Connection {
  const agent = { keepAlive: true, maxSockets };
  const client = new DynamoDBClient({
    region: options.region,
    ...(options.endpoint ? { endpoint: options.endpoint } : {}),
    ...credentialsConfig(options.authentication),
    retryMode: 'standard',
    maxAttempts: options.maxAttempts,
    requestHandler: {
      requestTimeout: options.requestTimeoutMs,
      // Without this the SDK only logs a warning when the timeout passes, and a hung engine hangs the flow.
      throwOnRequestTimeout: true,
      connectionTimeout: options.requestTimeoutMs,
      httpAgent: agent,
      httpsAgent: agent,
    },
  });
  meterConsumedCapacity(client);
  const documents = DynamoDBDocumentClient.from(client, {
    marshallOptions: { removeUndefinedValues: true },
  });
  return { client, documents };
}
