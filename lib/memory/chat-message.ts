/**
 * A stored message as chat-completion APIs take it, and a transcript of such messages as one text
 * for a model to read. The history node and the context builder hand out both, so a transcript reads
 * the same from either: with an assistant's tool calls, or a summary would lose what was looked up.
 */
import type { MessageRecord } from './message-record';
import { contentText } from './tokens';

export interface ChatMessage {
  role: string;
  content: unknown;
  name?: string;
  tool_calls?: unknown[];
  tool_call_id?: string;
}

/** The fields of a record that chat-completion APIs take; the pack's own (ids, dates, metadata) stay behind. */
export function chatMessage(record: MessageRecord): ChatMessage {
  const { role, content, name, tool_calls, tool_call_id } = record;
  return {
    role,
    content,
    ...(name !== undefined ? { name } : {}),
    ...(tool_calls !== undefined ? { tool_calls } : {}),
    ...(tool_call_id !== undefined ? { tool_call_id } : {}),
  };
}

function transcriptLine(message: ChatMessage): string {
  const calls = message.tool_calls === undefined ? '' : ` ${JSON.stringify(message.tool_calls)}`;
  return `${message.role}: ${contentText(message.content)}${calls}`;
}

/** One line a message, `role: content`, content that is not a string as JSON, then any tool calls as JSON. */
export function transcript(messages: ChatMessage[]): string {
  return messages.map(transcriptLine).join('\n');
}
