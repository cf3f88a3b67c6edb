/**
 * Model replies as the services send them on the wire (the shapes of their API references:
 * OpenAI chat completions and Responses, Anthropic Messages, Ollama /api/chat), for the tests of the
 * store node and for the stub servers (llm-stubs.ts), and OpenAI's embeddings answer. No LLM runs in the tests: these are the one
 * part no real engine here can play, so they are written to the letter of each wire format, fields
 * the pack does not read included.
 */

export interface ToolUse {
  id: string;
  name: string;
  input: Record<string, unknown>;
}

export function openAIChatCompletion(text: string | null, options: { model?: string; tools?: ToolUse[]; promptTokens?: number; completionTokens?: number } = {}) {
  const promptTokens = options.promptTokens ?? 52;
  const completionTokens = options.completionTokens ?? 9;
  return {
    id: 'chatcmpl-B9MBs8CjcvOU2jLn4n570S5qMJKcT',
    object: 'chat.completion',
    created: 1741569952,
    model: options.model ?? 'gpt-4.1-2025-04-14',
    choices: [
      {
        index: 0,
        message: {
          role: 'assistant',
          content: text,
          refusal: null,
          annotations: [],
          ...(options.tools
            ? { tool_calls: options.tools.map((t) => ({ id: t.id, type: 'function', function: { name: t.name, arguments: JSON.stringify(t.input) } })) }
            : {}),
        },
        logprobs: null,
        finish_reason: options.tools ? 'tool_calls' : 'stop',
      },
    ],
    usage: {
      prompt_tokens: promptTokens,
      completion_tokens: completionTokens,
      total_tokens: promptTokens + completionTokens,
      prompt_tokens_details: { cached_tokens: 0, audio_tokens: 0 },
      completion_tokens_details: { reasoning_tokens: 0, audio_tokens: 0, accepted_prediction_tokens: 0, rejected_prediction_tokens: 0 },
    },
    service_tier: 'default',
    system_fingerprint: 'fp_3bc1b5746c',
  };
}

/**
 * OpenAI's `POST /v1/embeddings` answer: one embedding per input, in input order, as floats or, with
 * `encoding_format: "base64"`, as the base64 of their little-endian float32 bytes.
 */
export function openAIEmbeddings(vectors: ArrayLike<number>[], options: { model: string; base64?: boolean; promptTokens?: number }) {
  const promptTokens = options.promptTokens ?? 8;
  return {
    object: 'list',
    data: vectors.map((vector, index) => ({
      object: 'embedding',
      index,
      embedding: options.base64 ? Buffer.from(Float32Array.from(vector).buffer).toString('base64') : Array.from(vector),
    })),
    model: options.model,
    usage: { prompt_tokens: promptTokens, total_tokens: promptTokens },
  };
}

export function openAIResponse(text: string | null, options: { model?: string; tools?: ToolUse[] } = {}) {
  return {
    id: 'resp_67ccd2bed1ec8190b14f964abc0542670bb6a6b452d3795b',
    object: 'response',
    created_at: 1741476542,
    status: 'completed',
    error: null,
    incomplete_details: null,
    instructions: null,
    max_output_tokens: null,
    model: options.model ?? 'gpt-4.1-2025-04-14',
    output: [
      { type: 'reasoning', id: 'rs_67ccd2bf', summary: [] },
      ...(options.tools ?? []).map((t) => ({
        type: 'function_call',
        id: `fc_${t.id}`,
        call_id: t.id,
        name: t.name,
        arguments: JSON.stringify(t.input),
        status: 'completed',
      })),
      ...(text === null
        ? []
        : [
            {
              type: 'message',
              id: 'msg_67ccd2bf17f0819081ff3bb2cf6508e60bb6a6b452d3795b',
              status: 'completed',
              role: 'assistant',
              content: [{ type: 'output_text', text, annotations: [] }],
            },
          ]),
    ],
    parallel_tool_calls: true,
    previous_response_id: null,
    store: true,
    temperature: 1.0,
    text: { format: { type: 'text' } },
    tool_choice: 'auto',
    tools: [],
    top_p: 1.0,
    truncation: 'disabled',
    usage: { input_tokens: 36, input_tokens_details: { cached_tokens: 0 }, output_tokens: 87, output_tokens_details: { reasoning_tokens: 0 }, total_tokens: 123 },
    user: null,
    metadata: {},
  };
}

export function anthropicMessage(text: string | null, options: { model?: string; tools?: ToolUse[]; inputTokens?: number; outputTokens?: number } = {}) {
  return {
    id: 'msg_013Zva2CMHLNnXjNJJKqJ2EF',
    type: 'message',
    role: 'assistant',
    model: options.model ?? 'claude-sonnet-4-5-20250929',
    content: [
      ...(text === null ? [] : [{ type: 'text', text }]),
      ...(options.tools ?? []).map((t) => ({ type: 'tool_use', id: t.id, name: t.name, input: t.input })),
    ],
    stop_reason: options.tools ? 'tool_use' : 'end_turn',
    stop_sequence: null,
    usage: {
      input_tokens: options.inputTokens ?? 2095,
      cache_creation_input_tokens: 0,
      cache_read_input_tokens: 0,
      output_tokens: options.outputTokens ?? 503,
      service_tier: 'standard',
    },
  };
}

export function ollamaChat(text: string, options: { model?: string; tools?: ToolUse[]; promptTokens?: number; evalTokens?: number } = {}) {
  return {
    model: options.model ?? 'llama3.2',
    created_at: '2023-12-12T14:13:43.416799Z',
    message: {
      role: 'assistant',
      content: text,
      ...(options.tools ? { tool_calls: options.tools.map((t) => ({ function: { name: t.name, arguments: t.input } })) } : {}),
    },
    done: true,
    done_reason: 'stop',
    total_duration: 5191566416,
    load_duration: 2154458,
    prompt_eval_count: options.promptTokens ?? 26,
    prompt_eval_duration: 383809000,
    eval_count: options.evalTokens ?? 298,
    eval_duration: 4799921000,
  };
}

/** The error bodies the services answer with (HTTP 4xx/5xx). */
export const errorBodies = {
  openai: { error: { message: 'Incorrect API key provided: sk-proj-********************abcd. You can find your API key at https://platform.openai.com/account/api-keys.', type: 'invalid_request_error', param: null, code: 'invalid_api_key' } },
  anthropic: { type: 'error', error: { type: 'overloaded_error', message: 'Overloaded' }, request_id: 'req_011CSHoEeqs5C35K2UUqR7Fy' },
  ollama: { error: "model 'llama9' not found" },
};
