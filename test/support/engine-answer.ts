/** An HTTP answer as the fault proxy hands it to the client: the engine's, changed, or its own. */
import type { IncomingHttpHeaders } from 'node:http';

export interface EngineAnswer {
  status: number;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

/** Sends an operation to the engine with the client's headers (DynamoDB Local keeps data apart per access key). */
export type Engine = (operation: string, payload: object) => Promise<EngineAnswer>;

/** An answer of the proxy's own, as DynamoDB sends it (JSON 1.0). */
export function jsonAnswer(status: number, body: object): EngineAnswer {
  return { status, headers: { 'content-type': 'application/x-amz-json-1.0' }, body: Buffer.from(JSON.stringify(body)) };
}

/** The engine's answer with another body. */
export function withBody(answer: EngineAnswer, body: object): EngineAnswer {
  // The body changed, so its checksum header would no longer match.
  const { 'x-amz-crc32': _crc, 'content-length': _length, ...headers } = answer.headers;
  return { status: answer.status, headers, body: Buffer.from(JSON.stringify(body)) };
}
