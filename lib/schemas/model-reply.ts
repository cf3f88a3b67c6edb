/**
 * Model replies as the services send them, so a store node can take what an http request node or an
 * LLM node hands on without a function node to dig the message out: an OpenAI chat-completions
 * response, an OpenAI Responses API response, an Anthropic Messages response, an Ollama `/api/chat`
 * response (node-red-contrib-ollama's `msg.payload`), and an error body any of them answers with.
 * @inductiv/node-red-openai-api puts the OpenAI SDK's response in `msg.payload`, which is the same
 * JSON. Each shape is a schema here: it validates the reply and gives its TypeScript type. A reply
 * becomes one assistant message in the pack's canonical form (OpenAI's: text content, `tool_calls`
 * with JSON-string arguments), with the model and the token usage in its metadata.
 *
 * A payload is taken for a reply by the one key no stored message has (`choices`, `output` with
 * `object: "response"`, `type: "message"`, `message`, `error`); it must then be a valid reply of that
 * service, or the store fails and writes nothing: a reply cut short is not stored half.
 */
import { MemoryInputError } from '../errors/input-errors';
import * as field from './fields';
import { matcher, parser, type FromSchema } from './validator';

const tokenCount = { type: 'integer', minimum: 0, errorText: 'input.token-usage' } as const;
const text = { type: 'string', errorText: 'input.string' } as const;
const model = { type: 'string', errorText: 'input.string' } as const;

/** A reply's token usage: each service names its counts its own way. */
function usageSchema<const K extends string>(names: readonly K[]) {
  return {
    type: 'object',
    properties: Object.fromEntries(names.map((name) => [name, tokenCount])) as { [P in K]: typeof tokenCount },
    errorText: 'input.object',
  } as const;
}

// ---- OpenAI chat completions: POST /v1/chat/completions --------------------------------------------

const openAIChatCompletion = {
  type: 'object',
  required: ['choices'],
  properties: {
    model,
    choices: {
      type: 'array',
      minItems: 1,
      errorText: 'input.reply-choices',
      items: {
        type: 'object',
        required: ['message'],
        properties: {
          message: {
            type: 'object',
            required: ['role'],
            properties: {
              role: { type: 'string', const: 'assistant', errorText: 'input.reply-assistant' },
              content: { ...field.content, type: ['string', 'array', 'null'] },
              refusal: { type: ['string', 'null'], errorText: 'input.string' },
              tool_calls: field.toolCalls,
            },
            errorText: 'input.object',
          },
        },
        errorText: 'input.object',
      },
    },
    usage: usageSchema(['prompt_tokens', 'completion_tokens', 'total_tokens']),
  },
} as const;

// ---- OpenAI Responses API: POST /v1/responses -------------------------------------------------------

const responsesOutputItem = {
  type: 'object',
  required: ['type'],
  properties: {
    type: text,
    role: text,
    content: {
      type: 'array',
      items: { type: 'object', required: ['type'], properties: { type: text, text }, errorText: 'input.object' },
      errorText: 'input.array',
    },
    call_id: text,
    name: text,
    arguments: text,
  },
  errorText: 'input.object',
} as const;

const openAIResponse = {
  type: 'object',
  required: ['object', 'output'],
  properties: {
    object: { type: 'string', const: 'response', errorText: 'input.invalid' },
    model,
    output: {
      type: 'array',
      items: responsesOutputItem,
      // A reply is a message or a tool call; reasoning items alone are no answer to store.
      contains: { type: 'object', required: ['type'], properties: { type: { enum: ['message', 'function_call'] } } },
      errorText: 'input.reply-output',
    },
    usage: usageSchema(['input_tokens', 'output_tokens', 'total_tokens']),
  },
} as const;

// ---- Anthropic Messages: POST /v1/messages ----------------------------------------------------------

const anthropicMessage = {
  type: 'object',
  required: ['type', 'role', 'content'],
  properties: {
    type: { type: 'string', const: 'message', errorText: 'input.invalid' },
    role: { type: 'string', const: 'assistant', errorText: 'input.reply-assistant' },
    model,
    content: {
      type: 'array',
      items: {
        type: 'object',
        required: ['type'],
        properties: { type: text, text, id: text, name: text, input: field.jsonValue },
        errorText: 'input.object',
      },
      errorText: 'input.reply-blocks',
    },
    stop_reason: { type: ['string', 'null'], errorText: 'input.string' },
    usage: usageSchema(['input_tokens', 'output_tokens']),
  },
} as const;

// ---- Ollama: POST /api/chat (stream: false), and node-red-contrib-ollama's msg.payload ---------------

const ollamaChat = {
  type: 'object',
  required: ['message'],
  properties: {
    model,
    message: {
      type: 'object',
      required: ['role', 'content'],
      properties: {
        role: { type: 'string', const: 'assistant', errorText: 'input.reply-assistant' },
        content: text,
        tool_calls: {
          type: 'array',
          items: {
            type: 'object',
            required: ['function'],
            properties: {
              id: text,
              function: {
                type: 'object',
                required: ['name'],
                properties: { name: text, arguments: field.jsonValue },
                errorText: 'input.object',
              },
            },
            errorText: 'input.object',
          },
          errorText: 'input.array',
        },
      },
      errorText: 'input.object',
    },
    done: { type: 'boolean', errorText: 'input.invalid' },
    prompt_eval_count: tokenCount,
    eval_count: tokenCount,
  },
} as const;

// ---- An error body: OpenAI {error: {message}}, Anthropic {type: "error", error: {message}}, Ollama {error: "…"}

const errorReply = {
  type: 'object',
  required: ['error'],
  properties: {
    error: {
      anyOf: [{ type: 'string' }, { type: 'object', properties: { message: { type: 'string' } } }],
    },
  },
} as const;

/** In a request: `payload` is the reply, so a wrong field is named `payload.…`. */
const inPayload = <S extends object>(schema: S) => ({ type: 'object', required: ['payload'], properties: { payload: schema } }) as const;

const parseOpenAIChatCompletion = parser(inPayload(openAIChatCompletion));
const parseOpenAIResponse = parser(inPayload(openAIResponse));
const parseAnthropicMessage = parser(inPayload(anthropicMessage));
const parseOllamaChat = parser(inPayload(ollamaChat));

type OpenAIChatCompletion = FromSchema<typeof openAIChatCompletion>;
type OpenAIResponse = FromSchema<typeof openAIResponse>;
type AnthropicMessage = FromSchema<typeof anthropicMessage>;
type OllamaChat = FromSchema<typeof ollamaChat>;

/** Which service's reply a payload is, by the key that only that reply has. */
const looksLike = {
  // A Responses API reply says `error: null` when all went well.
  error: matcher({ type: 'object', required: ['error'], properties: { error: { not: { type: 'null' } } }, not: { required: ['role'], properties: { role: {} } } }),
  openAIChatCompletion: matcher({ type: 'object', required: ['choices'], properties: { choices: {} } }),
  openAIResponse: matcher({ type: 'object', required: ['object'], properties: { object: { const: 'response' } } }),
  anthropicMessage: matcher({ type: 'object', required: ['type'], properties: { type: { const: 'message' } } }),
  ollamaChat: matcher({ type: 'object', required: ['message'], properties: { message: {} }, not: { required: ['role'], properties: { role: {} } } }),
};
const isErrorReply = matcher(errorReply);

export const replyFormats = ['openai-chat-completions', 'openai-responses', 'anthropic-messages', 'ollama-chat'] as const;
export type ReplyFormat = (typeof replyFormats)[number];

export interface TokenUsage {
  inputTokens?: number;
  outputTokens?: number;
  totalTokens?: number;
}

/** The assistant message a reply becomes, in the store request's message shape. */
export interface ReplyMessage {
  role: 'assistant';
  content: string | unknown[] | null;
  tool_calls?: unknown[];
  metadata: { replyFormat: ReplyFormat; model?: string; usage?: TokenUsage; stopReason?: string } & Record<string, unknown>;
}

type ToolCall = { id: string; type: 'function'; function: { name: string; arguments: string } };

function usage(input: number | undefined, output: number | undefined, total?: number): TokenUsage | undefined {
  const counts: TokenUsage = {};
  if (input !== undefined) counts.inputTokens = input;
  if (output !== undefined) counts.outputTokens = output;
  if (total !== undefined) counts.totalTokens = total;
  else if (input !== undefined && output !== undefined) counts.totalTokens = input + output;
  return Object.keys(counts).length === 0 ? undefined : counts;
}

function message(
  format: ReplyFormat,
  content: ReplyMessage['content'],
  toolCalls: unknown[],
  modelName: string | undefined,
  tokens: TokenUsage | undefined,
  stopReason?: string | null,
): ReplyMessage {
  return {
    role: 'assistant',
    content,
    ...(toolCalls.length > 0 ? { tool_calls: toolCalls } : {}),
    metadata: {
      replyFormat: format,
      ...(modelName !== undefined ? { model: modelName } : {}),
      ...(tokens ? { usage: tokens } : {}),
      ...(typeof stopReason === 'string' ? { stopReason } : {}),
    },
  };
}

/** Text parts joined; null when there is none (an assistant turn that only calls tools). */
const joined = (parts: string[]): string | null => (parts.length === 0 ? null : parts.join(''));

function fromOpenAIChatCompletion(reply: OpenAIChatCompletion): ReplyMessage {
  // The first choice is the answer: n > 1 asks for alternatives, and a conversation keeps one.
  const answer = reply.choices[0]!.message;
  const content = answer.content ?? answer.refusal ?? null;
  return message(
    'openai-chat-completions',
    content,
    answer.tool_calls ?? [],
    reply.model,
    usage(reply.usage?.prompt_tokens, reply.usage?.completion_tokens, reply.usage?.total_tokens),
  );
}

function fromOpenAIResponse(reply: OpenAIResponse): ReplyMessage {
  const texts: string[] = [];
  const calls: ToolCall[] = [];
  for (const item of reply.output) {
    if (item.type === 'message') {
      for (const part of item.content ?? []) {
        if (part.type === 'output_text' && part.text !== undefined) texts.push(part.text);
        if (part.type === 'refusal') texts.push((part as { refusal?: string }).refusal ?? '');
      }
    } else if (item.type === 'function_call') {
      calls.push({ id: item.call_id ?? '', type: 'function', function: { name: item.name ?? '', arguments: item.arguments ?? '{}' } });
    }
  }
  return message(
    'openai-responses',
    joined(texts),
    calls,
    reply.model,
    usage(reply.usage?.input_tokens, reply.usage?.output_tokens, reply.usage?.total_tokens),
  );
}

function fromAnthropicMessage(reply: AnthropicMessage): ReplyMessage {
  const texts: string[] = [];
  const calls: ToolCall[] = [];
  // Thinking blocks are the model's scratch work, not the answer; tool use becomes tool_calls, which
  // the context node turns back into tool_use blocks for Anthropic.
  for (const block of reply.content) {
    if (block.type === 'text' && block.text !== undefined) texts.push(block.text);
    if (block.type === 'tool_use') {
      calls.push({ id: block.id ?? '', type: 'function', function: { name: block.name ?? '', arguments: JSON.stringify(block.input ?? {}) } });
    }
  }
  return message(
    'anthropic-messages',
    joined(texts) ?? (calls.length > 0 ? null : ''),
    calls,
    reply.model,
    usage(reply.usage?.input_tokens, reply.usage?.output_tokens),
    reply.stop_reason,
  );
}

function fromOllamaChat(reply: OllamaChat): ReplyMessage {
  // Ollama's tool calls carry their arguments as an object and, before 0.12, no id.
  const calls = (reply.message.tool_calls ?? []).map(
    (call, i): ToolCall => ({
      id: call.id ?? `call_${i}`,
      type: 'function',
      function: { name: call.function.name, arguments: JSON.stringify(call.function.arguments ?? {}) },
    }),
  );
  return message(
    'ollama-chat',
    reply.message.content === '' && calls.length > 0 ? null : reply.message.content,
    calls,
    reply.model,
    usage(reply.prompt_eval_count, reply.eval_count),
    (reply as { done_reason?: string }).done_reason,
  );
}

/**
 * The assistant message of a model reply, or undefined when the payload is no reply (text, a
 * message, an array: the store takes those as they are). Throws a MemoryInputError when it is a
 * reply but not a valid one, or an error the service answered with.
 */
export function replyMessage(payload: unknown): ReplyMessage | undefined {
  if (looksLike.error(payload)) {
    const error = isErrorReply(payload) ? (payload as FromSchema<typeof errorReply>).error : undefined;
    const said = typeof error === 'string' ? error : (error?.message ?? JSON.stringify((payload as { error: unknown }).error));
    throw new MemoryInputError('input.reply-error', { reason: said.slice(0, 200) });
  }
  if (looksLike.openAIChatCompletion(payload)) return fromOpenAIChatCompletion(parseOpenAIChatCompletion({ payload }).payload);
  if (looksLike.openAIResponse(payload)) return fromOpenAIResponse(parseOpenAIResponse({ payload }).payload);
  if (looksLike.anthropicMessage(payload)) return fromAnthropicMessage(parseAnthropicMessage({ payload }).payload);
  if (looksLike.ollamaChat(payload)) return fromOllamaChat(parseOllamaChat({ payload }).payload);
  return undefined;
}
