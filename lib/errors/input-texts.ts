/**
 * The English of every message of the pack's own input errors (MemoryInputError,
 * SessionOwnershipError, EntityNotFoundError), by text id, as failure-texts.ts has them for
 * MemoryServiceError: `__name__` stands for one of the error's values, and Node-RED shows the
 * sentence from the config node's catalog (`errors.<id>`, so `errors.input.<name>`). Field names,
 * paths and literals are values or stay in quotes, the same in every language.
 *
 * A request schema names its rule's text with the `errorText` keyword; the validator fills in
 * `__field__` (the path of the wrong field) and the schema's own numbers (`__maxLength__`,
 * `__minimum__`, …) and choices (`__choices__`), so each limit is written once, in the schema.
 */
export const inputTexts = {
  // Any schema
  'input.required': '__field__ is required',
  'input.unknown-property': '__field__: unknown property "__property__"',
  'input.invalid': '__field__ is not valid',
  'input.one-of': '__field__: must be one of __choices__',
  // Field rules, named by the schemas' `errorText`
  'input.id': '__field__: must be a non-empty string of at most __maxLength__ characters, without "#", control characters or unpaired surrogates',
  'input.preference-key':
    '__field__: must be a non-empty string of at most __maxLength__ characters, without "#", control characters or unpaired surrogates, and not "__proto__", "constructor" or "prototype"',
  'input.preference-key-name':
    '__field__: the key "__key__" must be a non-empty string of at most __maxLength__ characters, without "#", control characters or unpaired surrogates, and not "__proto__", "constructor" or "prototype"',
  'input.string': '__field__: must be a string',
  'input.object': '__field__: must be an object',
  'input.array': '__field__: must be an array',
  'input.json-value': '__field__: must be a JSON value',
  'input.json-object': '__field__: must be an object of JSON values',
  'input.content': '__field__: must be a string, an array of content parts, an object or null',
  'input.payload': '__field__: must be a string, a {role, content} object or a non-empty array of them',
  'input.message': '__field__: must be a string or a {role, content} object',
  'input.user-message': '__field__: must be the new user message: a string or content parts',
  'input.summary-text': '__field__: must be a non-empty string (the summary text)',
  'input.ttl-days': '__field__: must be a number of days greater than __exclusiveMinimum__',
  'input.instant': '__field__: must be an ISO 8601 date-time string or epoch milliseconds',
  'input.ulid': "__field__: must be the ULID of a stored message (msg.covers of the context node's summary output)",
  'input.whole-number': '__field__: must be a whole number from __minimum__ to __maximum__',
  'input.message-count': '__field__: must be a whole number of messages from __minimum__ to __maximum__',
  'input.token-count': '__field__: must be a whole number of tokens greater than 0',
  'input.token-budget': '__field__: must be a whole number of tokens from __minimum__',
  'input.percentage': '__field__: must be a percentage from __minimum__ to __maximum__',
  'input.shares': '__field__: must be an object of percentages: system, preferences, facts, summary, history',
  'input.alias': '__field__: must be a non-empty string of at most __maxLength__ characters',
  'input.aliases': '__field__: must be an array of at most __maxItems__ strings',
  'input.preference-values': '__field__: must be an object of at least one preference key and its value',
  'input.model': '__field__: must be a model name of 1 to __maxLength__ characters',
  'input.token-usage': '__field__: must be a whole number of tokens, 0 or more',
  // Model replies (model-reply.ts)
  'input.reply-choices': "__field__: must be a non-empty array of choices, each with the assistant's message (an OpenAI chat-completions response)",
  'input.reply-assistant': '__field__: must be "assistant": a model reply is the assistant\'s message',
  'input.reply-output': '__field__: must be an array of output items with at least one "message" or "function_call" (an OpenAI Responses API response)',
  'input.reply-blocks': '__field__: must be an array of content blocks (an Anthropic Messages response)',
  'input.reply-error': 'the model service answered with an error, not a reply: __reason__; nothing was stored',
  'input.page-cursor': '__field__: must be the cursor returned by the previous page',
  'input.listing-cursor': '__field__: must be the cursor a previous listing returned',
  'input.records': '__field__: must be an array of at most __maxItems__ records',
  'input.iso-time': '__field__: must be an ISO 8601 date-time string',
  'input.export-parts': '__field__: must be a part of a user export, or an array of them',
  // What may be stored as JSON (json-safety.ts); `__path__` is inside the field, "value" for all of it
  'input.json-number': '__field__: __path__ is __number__, which DynamoDB cannot store',
  'input.json-type': '__field__: __path__ is a __type__, which is not JSON',
  'input.json-depth': '__field__: __path__ is nested deeper than __maxDepth__ levels',
  'input.json-class': '__field__: __path__ is a __className__ instance, not plain JSON',
  'input.json-key': '__field__: __path__ has the key "__key__", which is not allowed',
  // Found out while doing the work
  'input.no-connection': 'no DynamoDB memory connection is set: open the node and choose one',
  'input.user-required': 'userId is required: this connection requires a user in every msg; nothing was read or written',
  'input.user-being-forgotten': 'user "__userId__" is being forgotten: their data can no longer be read or written; nothing was read or written',
  'input.session-being-forgotten': 'session "__sessionId__" is being forgotten with its user: it can no longer be read or written; nothing was read or written',
  'input.not-a-time': '"__instant__" is not a time',
  'input.valid-to-before-from': 'validTo (__validTo__) must be later than validFrom (__validFrom__); nothing was written',
  'input.since-after-until': 'since (__since__) is later than until (__until__); nothing was read',
  'input.covers-missing': 'covers: session "__sessionId__" has no message __covers__',
  'input.shares-over-100': 'shares: add up to __sum__%, more than 100%',
  'input.message-over-budget':
    "the new message is __tokens__ tokens; with the context's framing it does not fit the token budget of __budget__",
  'input.prompt-over-budget': 'the prompt is __tokens__ tokens, over the token budget of __budget__, even without history',
  'input.message-too-large': 'the message is __size__ KB; DynamoDB stores at most 400 KB in one item, so nothing was stored',
  'input.messages-item-too-large':
    'message __position__ of __total__ is __size__ KB; DynamoDB stores at most 400 KB in one item, so nothing was stored',
  'input.preference-too-large':
    'preference "__key__" is __size__ KB; DynamoDB stores at most 400 KB in one item, so nothing was stored',
  'input.entity-too-large': 'the entity is __size__ KB; DynamoDB stores at most 400 KB in one item, so nothing was written',
  'input.relationship-too-large':
    'the relationship is __size__ KB; DynamoDB stores at most 400 KB in one item, so nothing was written',
  'input.key-too-long':
    'the key "__attribute__" would be __bytes__ bytes in UTF-8, over DynamoDB\'s limit of __limit__ bytes (bytes of its ids: __parts__); nothing was read or written',
  'input.session-owner': 'session "__sessionId__" belongs to another user',
  'input.entity-missing': 'entity "__entityId__" is not in this graph: upsert it first; nothing was written',
  'input.entities-missing':
    'entity "__source__" and entity "__target__" are not in this graph: upsert them first; nothing was written',
  // Vectors of long-term memory (embedding.ts)
  'input.memory-text': '__field__: must be a text of 1 to __maxLength__ characters',
  'input.memory-id': "__field__: must be a memory record's id (26 characters, as remember returned it)",
  'input.memory-records': '__field__: must be an array of 1 to __maxItems__ records, each with a text',
  'input.fraction': '__field__: must be a number from __minimum__ to __maximum__',
  'input.memory-weights': '__field__: must be an object with similarity, recency and importance, each from 0 to 1',
  'input.memory-missing': 'no memory record __id__ in this scope (forgotten, expired, or never remembered here)',
  'input.memory-session-missing': 'session __sessionId__ has no stored message yet: a session\'s memory belongs to a session that exists; store a message first, or remember in the user\'s scope',
  'input.memory-embedding-needed': 'record __id__ has a vector from __embedder__; a new text needs a new embedding from it (msg.embedding), or its vector would no longer match its text',
  'input.memory-too-large': 'record __id__ would be __size__ KB with its vector, over DynamoDB\'s 400 KB item limit: keep its text and metadata smaller; nothing was written',
  'input.memory-vector': '__field__: must be the record\'s float32 vector in base64, as an export wrote it',
  'input.memory-weights-zero': '__field__: the weights must not all be 0',
  // The extraction loop (extraction.ts, extraction-request.ts)
  'input.extraction-operations': '__field__: must be an array of at most __maxItems__ operations (ADD, UPDATE, DELETE, NONE)',
  'input.extraction-operation': '__field__: must be {"op": "ADD", "text", "kind", "importance"}, {"op": "UPDATE", "id", "text"}, {"op": "DELETE", "id"} or {"op": "NONE"}, with no other property',
  'input.extraction-text': "__field__: must be the memory's text, a string",
  'input.extraction-kind': '__field__: must be null or a kind of 1 to 64 characters without "#" or control characters',
  'input.extraction-answer': 'the extraction answer is not JSON of the requested schema: __reason__; nothing was applied',
  'input.extraction-foreign-id': "operations[__index__] names record __id__, which is not a record valid now in this scope (another scope's, superseded, forgotten, expired or made up); nothing was applied",
  'input.extraction-same-id': 'operations[__first__] and operations[__second__] both name record __id__; nothing was applied',
  'input.extraction-embeddings': "__count__ embeddings for the answer's __texts__ texts (one per ADD and UPDATE, in order); nothing was applied",
  'input.extraction-embedding-reply': "msg.payload is no embeddings response (OpenAI's {data: [{embedding}]}, or an array of vectors); nothing was applied",
  'input.extraction-embedder': "with the flow's embeddings, msg.embedder names the embedding model (the answer's texts are embedded with it); nothing was sent",
  'input.extraction-too-large': "the answer's operations need __items__ transaction items and __size__ KB; one apply writes at most 100 items and 4 MB in its transaction: nothing was applied",
  'input.extraction-watermark': '__field__: must be the watermark the due output gave: {from, to}, `to` a message of the session after `from`',
  'input.working-missing': 'no working-memory entry __id__ in this scope (evicted, expired, cleared, or never added here)',
  'input.embedding-array': '__field__: must be an array of 1 to __maximum__ numbers (an embedding)',
  'input.embedding-dimension': '__field__: has __dimension__ numbers; an embedding has 1 to __maximum__',
  'input.embedding-number': '__field__: item __index__ is not a finite number',
  'input.embedding-zero': '__field__: every number is 0, and a zero vector cannot be compared by cosine',
  'input.embedder-mismatch':
    "the stored vectors were made by __stored__ (__storedDimension__ dimensions) and the query's by __query__ (__queryDimension__ dimensions): vectors of different embedders or dimensions cannot be compared; nothing was read",
} as const;

export type InputText = keyof typeof inputTexts;
