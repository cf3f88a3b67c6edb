/**
 * Stand-ins for the LLM services the example flows call, the one part of those flows no real engine
 * here can play: one local HTTP server speaking each service's wire format as documented, not the
 * pack's own shapes. OpenAI-compatible `POST /v1/chat/completions` and `POST /v1/embeddings`,
 * Anthropic `POST /v1/messages` and Ollama `POST /api/chat`, each checking what that service checks (its auth header, required
 * fields, Anthropic's turn order) and answering errors in that service's error format. The "model"
 * is a rule: it answers "what is my name?" from what the request's messages say ("my name is Ana"
 * in an earlier turn, or `name: Ana` among the system prompt's preferences), so a second turn shows
 * whether the first reached it through the memory. The embeddings are the pack's built-in
 * embedder's vectors of the input text (deterministic, and texts sharing words come out similar),
 * so a test can remember records with the same vectors the flow's embeddings call gets. A request
 * with a `response_format` is checked as OpenAI checks it (structured-outputs.ts); the extraction
 * loop's (`memory_operations`: a json_schema response format for OpenAI, a forced tool call for
 * Anthropic) is answered from a script with JSON that keeps the request's schema.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { embedText } from '../../lib/memory/embedding';
import { countTokens } from '../../lib/memory/tokens';
import { anthropicMessage, ollamaChat, openAIChatCompletion, openAIEmbeddings } from './model-wire';
import { assertMatchesSchema, responseFormatProblem } from './structured-outputs';

export const stubKeys = { openai: 'sk-stub-openai', anthropic: 'sk-ant-stub' } as const;

export interface StubRequest {
  path: string;
  headers: IncomingMessage['headers'];
  body: Record<string, unknown>;
}

export interface LlmStubs {
  /** e.g. http://127.0.0.1:40123 (no trailing slash). */
  url: string;
  /** Every request received, in order. */
  requests: StubRequest[];
  close(): Promise<void>;
}

type Said = { role: string; text: string };

/** The text of a message's content in any of the three formats (string, OpenAI parts, Anthropic blocks). */
function textOf(content: unknown): string {
  if (typeof content === 'string') return content;
  if (Array.isArray(content)) {
    return content
      .map((part) => {
        const p = part as { type?: string; text?: string; content?: unknown };
        if (typeof p.text === 'string') return p.text;
        if (p.type === 'tool_result') return textOf(p.content);
        return '';
      })
      .join(' ');
  }
  return '';
}

/** The rule the stubs answer by: a name learnt in an earlier turn, or said now; a home the system prompt's memories name. */
export function ruleReply(said: Said[]): string {
  const last = [...said].reverse().find((m) => m.role === 'user')?.text ?? '';
  const introduced = /my name is (\p{L}+)/iu.exec(last);
  if (introduced) return `Nice to meet you, ${introduced[1]}!`;
  if (/what is my name/i.test(last)) {
    const earlier = said.slice(0, -1).map((m) => m.text).join('\n');
    const name = /my name is (\p{L}+)/iu.exec(earlier)?.[1] ?? /^- name: (\p{L}+)/imu.exec(earlier)?.[1];
    return name ? `Your name is ${name}.` : "I don't know your name yet.";
  }
  if (/where do I live/i.test(last)) {
    const home = /lives in (\p{Lu}\p{L}+)/u.exec(said.slice(0, -1).map((m) => m.text).join('\n'))?.[1];
    return home ? `You live in ${home}.` : "I don't know where you live.";
  }
  return `You said: ${last}`;
}

function send(response: ServerResponse, status: number, body: unknown): void {
  response.writeHead(status, { 'content-type': 'application/json' });
  response.end(JSON.stringify(body));
}

const openAIError = (message: string, code: string | null = null) => ({ error: { message, type: 'invalid_request_error', param: null, code } });
const anthropicError = (type: string, message: string) => ({ type: 'error', error: { type, message }, request_id: 'req_stub' });

function openAI(request: StubRequest, response: ServerResponse): void {
  if (request.headers['authorization'] !== `Bearer ${stubKeys.openai}`) {
    return send(response, 401, openAIError('Incorrect API key provided.', 'invalid_api_key'));
  }
  const { model, messages } = request.body as { model?: unknown; messages?: unknown };
  if (typeof model !== 'string' || model === '') return send(response, 400, openAIError('you must provide a model parameter'));
  if (!Array.isArray(messages) || messages.length === 0) return send(response, 400, openAIError("'messages' is a required property"));
  const format = (request.body as { response_format?: unknown }).response_format;
  if (format !== undefined) {
    const problem = responseFormatProblem(format);
    if (problem) return send(response, 400, openAIError(problem));
  }
  const said = (messages as Array<{ role: string; content: unknown }>).map((m) => ({ role: m.role, text: textOf(m.content) }));
  const schema = (format as { json_schema?: { name?: string; schema?: unknown } } | undefined)?.json_schema;
  if (schema?.name === 'memory_operations') {
    const answer = extractionReply(said[said.length - 1]!.text);
    assertMatchesSchema(answer, schema.schema);
    return send(response, 200, openAIChatCompletion(JSON.stringify(answer), { model }));
  }
  send(response, 200, openAIChatCompletion(ruleReply(said), { model }));
}

/**
 * The script an extraction request is answered by (the pack's extraction prompt hands over
 * `{memories: [{id, kind, text}], messages: [{role, content}]}` as JSON): a home the user names is
 * an UPDATE of the home remembered, else an ADD; a name is an ADD once; nothing else is worth keeping.
 */
export function extractionReply(user: string): { operations: unknown[] } {
  const { memories, messages } = JSON.parse(user) as { memories: Array<{ id: string; text: string }>; messages: Array<{ role: string; content: string }> };
  const operations: unknown[] = [];
  for (const { role, content } of messages) {
    if (role !== 'user') continue;
    const home = /\bI (?:live in|moved to) (\p{Lu}\p{L}+)/u.exec(content)?.[1];
    const name = /\bmy name is (\p{Lu}\p{L}+)/iu.exec(content)?.[1];
    const known = memories.find((m) => /^The user lives in /.test(m.text));
    if (home && known) operations.push({ op: 'UPDATE', id: known.id, text: `The user lives in ${home}` });
    else if (home) operations.push({ op: 'ADD', text: `The user lives in ${home}`, kind: 'home', importance: 7 });
    if (name && !memories.some((m) => /name is/.test(m.text))) operations.push({ op: 'ADD', text: `The user's name is ${name}`, kind: 'fact', importance: 8 });
  }
  return { operations: operations.length > 0 ? operations : [{ op: 'NONE' }] };
}

/** The stub's embedding of a text: what `POST /v1/embeddings` answers for it. */
export function stubEmbedding(text: string): number[] {
  return Array.from(embedText(text));
}

function openAIEmbeddingsEndpoint(request: StubRequest, response: ServerResponse): void {
  if (request.headers['authorization'] !== `Bearer ${stubKeys.openai}`) {
    return send(response, 401, openAIError('Incorrect API key provided.', 'invalid_api_key'));
  }
  const { model, input, encoding_format: format } = request.body as { model?: unknown; input?: unknown; encoding_format?: unknown };
  if (typeof model !== 'string' || model === '') return send(response, 400, openAIError('you must provide a model parameter'));
  const inputs = typeof input === 'string' ? [input] : input;
  if (!Array.isArray(inputs) || inputs.length === 0 || !inputs.every((text) => typeof text === 'string' && text !== '')) {
    return send(response, 400, openAIError("'input' : input must be a string or an array of strings", 'invalid_value'));
  }
  if (format !== undefined && format !== 'float' && format !== 'base64') {
    return send(response, 400, openAIError(`'${String(format)}' is not one of ['float', 'base64'] - 'encoding_format'`));
  }
  const texts = inputs as string[];
  const tokens = texts.reduce((sum, text) => sum + countTokens(text, 'cl100k_base'), 0);
  send(response, 200, openAIEmbeddings(texts.map(stubEmbedding), { model, base64: format === 'base64', promptTokens: tokens }));
}

function anthropic(request: StubRequest, response: ServerResponse): void {
  if (request.headers['x-api-key'] !== stubKeys.anthropic) return send(response, 401, anthropicError('authentication_error', 'invalid x-api-key'));
  if (typeof request.headers['anthropic-version'] !== 'string') {
    return send(response, 400, anthropicError('invalid_request_error', 'anthropic-version: header is required'));
  }
  const { model, max_tokens, messages, system } = request.body as { model?: unknown; max_tokens?: unknown; messages?: unknown; system?: unknown };
  if (typeof model !== 'string') return send(response, 400, anthropicError('invalid_request_error', 'model: Field required'));
  if (typeof max_tokens !== 'number') return send(response, 400, anthropicError('invalid_request_error', 'max_tokens: Field required'));
  const turns = Array.isArray(messages) ? (messages as Array<{ role: string; content: unknown }>) : [];
  if (turns.length === 0 || turns[0]!.role !== 'user') {
    return send(response, 400, anthropicError('invalid_request_error', 'messages: first message must use the "user" role'));
  }
  for (let i = 1; i < turns.length; i++) {
    if (turns[i]!.role === turns[i - 1]!.role) {
      return send(response, 400, anthropicError('invalid_request_error', 'messages: roles must alternate between "user" and "assistant"'));
    }
  }
  const said = [{ role: 'system', text: textOf(system) }, ...turns.map((m) => ({ role: m.role, text: textOf(m.content) }))];
  const { tools, tool_choice: choice } = request.body as { tools?: Array<{ name?: unknown; input_schema?: { type?: unknown } }>; tool_choice?: { type?: unknown; name?: unknown } };
  if (choice !== undefined) {
    const tool = tools?.find((t) => t.name === choice.name);
    if (choice.type !== 'tool' || tool === undefined) return send(response, 400, anthropicError('invalid_request_error', 'tool_choice: the named tool is not in tools'));
    if (tool.input_schema?.type !== 'object') return send(response, 400, anthropicError('invalid_request_error', 'tools.0.input_schema.type: Input should be \'object\''));
    // A forced call of the extraction's tool: the model's answer is the tool's input.
    if (tool.name === 'memory_operations') {
      const answer = extractionReply(said[said.length - 1]!.text);
      assertMatchesSchema(answer, tool.input_schema);
      return send(response, 200, anthropicMessage(null, { model, tools: [{ id: 'toolu_stub_memory', name: tool.name, input: answer }] }));
    }
  }
  send(response, 200, anthropicMessage(ruleReply(said), { model }));
}

function ollama(request: StubRequest, response: ServerResponse): void {
  const { model, messages, stream } = request.body as { model?: unknown; messages?: unknown; stream?: unknown };
  if (typeof model !== 'string' || model === '') return send(response, 400, { error: 'model is required' });
  const list = Array.isArray(messages) ? (messages as Array<{ role: string; content: unknown }>) : [];
  if (list.some((m) => typeof m.content !== 'string')) return send(response, 400, { error: 'json: cannot unmarshal array into Go struct field Message.messages.content of type string' });
  const reply = ollamaChat(ruleReply(list.map((m) => ({ role: m.role, text: textOf(m.content) }))), { model });
  if (stream === false) return send(response, 200, reply);
  // Ollama streams unless told not to: a line of JSON per piece, then the final one.
  response.writeHead(200, { 'content-type': 'application/x-ndjson' });
  response.write(JSON.stringify({ model, created_at: reply.created_at, message: reply.message, done: false }) + '\n');
  response.end(JSON.stringify({ ...reply, message: { role: 'assistant', content: '' } }) + '\n');
}

export async function startLlmStubs(): Promise<LlmStubs> {
  const requests: StubRequest[] = [];
  const server: Server = createServer((incoming, response) => {
    let raw = '';
    incoming.on('data', (chunk: Buffer) => (raw += chunk));
    incoming.on('end', () => {
      let body: Record<string, unknown>;
      try {
        body = JSON.parse(raw) as Record<string, unknown>;
      } catch {
        return send(response, 400, openAIError('We could not parse the JSON body of your request.'));
      }
      const request = { path: incoming.url ?? '', headers: incoming.headers, body };
      requests.push(request);
      if (incoming.method !== 'POST') return send(response, 405, openAIError('method not allowed'));
      if (request.path === '/v1/chat/completions') return openAI(request, response);
      if (request.path === '/v1/embeddings') return openAIEmbeddingsEndpoint(request, response);
      if (request.path === '/v1/messages') return anthropic(request, response);
      if (request.path === '/api/chat') return ollama(request, response);
      send(response, 404, openAIError(`Unknown request URL: POST ${request.path}`, 'unknown_url'));
    });
  });
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    close: () => new Promise<void>((done) => server.close(() => done())),
  };
}
