/**
 * An embeddings service's answer as a flow hands it back: OpenAI's `POST /v1/embeddings` response
 * (`{ data: [{ index, embedding }] }`, which OpenAI-compatible servers, Ollama's `/v1` among them,
 * answer too), or the vectors themselves. The vectors come out in the order of the request's inputs;
 * embedding.ts checks each one's numbers where it is used.
 */
import { MemoryInputError } from '../errors/input-errors';
import { replyMessage } from './model-reply';
import { matcher } from './validator';

const isOpenAIEmbeddings = matcher({
  type: 'object',
  required: ['data'],
  properties: {
    data: {
      type: 'array',
      items: { type: 'object', required: ['embedding'], properties: { index: { type: 'integer', minimum: 0 }, embedding: { type: 'array' } } },
    },
  },
});
const isVectors = matcher({ type: 'array', items: { type: 'array' } });

/** The vectors of an embeddings answer, in input order; a service's error body is reported as one. */
export function embeddingVectors(payload: unknown): unknown[][] {
  if (isVectors(payload)) return payload as unknown[][];
  if (isOpenAIEmbeddings(payload)) {
    const data = (payload as { data: Array<{ index?: number; embedding: unknown[] }> }).data;
    return data.map((entry, position) => ({ at: entry.index ?? position, vector: entry.embedding })).sort((a, b) => a.at - b.at).map((entry) => entry.vector);
  }
  // An error body (`{error: …}`) throws its own message here.
  replyMessage(payload);
  throw new MemoryInputError('input.extraction-embedding-reply');
}
