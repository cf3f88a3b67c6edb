/**
 * Token counts with a real tokenizer (OpenAI's o200k_base via gpt-tokenizer). Its tables are
 * large, so they load on first use, not when Node-RED loads the pack.
 */
type Counter = (text: string) => number;
let o200k: Counter | undefined;

export function countTokens(text: string): number {
  o200k ??= (require('gpt-tokenizer/encoding/o200k_base') as { countTokens: Counter }).countTokens;
  return o200k(text);
}

/** Content as the text a model reads: strings as they are, structured content as JSON. */
export function contentText(content: unknown): string {
  if (typeof content === 'string') return content;
  if (content === null || content === undefined) return '';
  return JSON.stringify(content);
}
