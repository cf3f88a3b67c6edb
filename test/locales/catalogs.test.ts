/**
 * The editor in English, German and Japanese: every en-US catalog and help page has a de and a ja
 * twin with the same keys, placeholders, help names, structure and code; the error messages the help
 * pages quote are, in each language, ones its catalog gives; every catalog key the
 * editor files and the runtime code use exists; the en-US error texts are the English ones of
 * lib/, and a schema fills every placeholder of its error text; and a real Node-RED with the pack
 * serves the translations (catalogs by `?lng=`, help by Accept-Language), as the editor asks for
 * them, and reports DynamoDB failures and invalid msgs in its language (German and Japanese).
 */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { failureTexts } from '../../lib/errors/failure-texts';
import { fillIn } from '../../lib/errors/fill-in';
import { EntityNotFoundError, MemoryInputError, SessionOwnershipError } from '../../lib/errors/input-errors';
import { inputTexts } from '../../lib/errors/input-texts';
import { MemoryServiceError } from '../../lib/errors/service-error';
import { localizedFailure } from '../../lib/node-red/failure-message';
import { freePort } from '../../scripts/dynamodb-local';
import { adminApi, deployFlows, fetchDeployedRoute, startNodeRed, writeSettingsIfAbsent, type FlowNode, type NodeRed } from '../../scripts/node-red-process';
import { decodeEntities } from '../support/html-text';
import { localCredentials, uniqueName } from '../support/memory-table';
import { dynamoDBLocal } from '../support/root-hooks';

const root = resolve(__dirname, '..', '..', '..');
const pack = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { name: string; 'node-red': { nodes: Record<string, string> } };
const types = Object.keys(pack['node-red'].nodes);
const translations = ['de', 'ja'];

type Catalog = { [key: string]: string | Catalog };

function catalog(lang: string, type: string): Catalog {
  return JSON.parse(readFileSync(join(root, 'locales', lang, `${type}.json`), 'utf8')) as Catalog;
}

function help(lang: string, type: string): string {
  return readFileSync(join(root, 'locales', lang, `${type}.html`), 'utf8');
}

/** Every text of a catalog by its full key, e.g. `dynamodb-memory-store.status.stored`. */
function texts(messages: Catalog, prefix = ''): Map<string, string> {
  const result = new Map<string, string>();
  for (const [key, value] of Object.entries(messages)) {
    const full = prefix + key;
    if (typeof value === 'string') result.set(full, value);
    else for (const [k, v] of texts(value, `${full}.`)) result.set(k, v);
  }
  return result;
}

/** The `__name__` placeholders that i18next fills in (shortest first, as i18next reads `__a____b__`). */
function placeholders(text: string): string[] {
  return [...new Set([...text.matchAll(/__(\w+?)__/g)].map((m) => m[1]!))].sort();
}

/** "__proto__" in an error text is the literal key name: no error has a value `proto`, so i18next and fillIn leave it. */
const literalNames = new Set(['proto']);

/**
 * Every message a catalog's error texts (`errors.*` of the config node's catalog) can give, one
 * pattern each: a placeholder stands for any value, the rest is the text as written.
 */
function errorMessages(lang: string): RegExp[] {
  const escape = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  return [...texts(catalog(lang, 'dynamodb-memory-config'))]
    .filter(([key]) => key.startsWith('dynamodb-memory-config.errors.'))
    .map(([, text]) => {
      // split() with a group puts each placeholder's name at the odd indexes.
      const parts = text.split(/__(\w+?)__/).map((part, i) => (i % 2 === 0 ? escape(part) : literalNames.has(part) ? escape(`__${part}__`) : '.*'));
      return new RegExp(`^${parts.join('')}$`);
    });
}

function all(text: string, pattern: RegExp): string[] {
  return [...text.matchAll(pattern)].map((m) => m[1]!);
}

/** The help page's block structure (the tags the editor's help panel lays out), in order. */
function structure(html: string): string[] {
  return all(html, /<(\/?(?:script|h3|h4|dl|dt|dd|ul|ol|li|p)\b[^>]*)>/g).map((tag) => tag.replace(/\s+/g, ' '));
}

/** What plain `<code>` holds, sorted: literals (msg properties, JSON, error names) stay as they are. */
function codes(html: string): string[] {
  return all(html, /<code>([\s\S]*?)<\/code>/g)
    .map((code) => code.replace(/\s+/g, ' '))
    .sort();
}

/**
 * The error messages a help page quotes, `<code class="error-text">`, as Node-RED shows them: in
 * the page's language, so unlike literals they differ between the languages.
 */
function errorExamples(html: string): string[] {
  return all(html, /<code class="error-text">([\s\S]*?)<\/code>/g).map((code) => decodeEntities(code.replace(/\s+/g, ' ')));
}

/** The source file of a node type, with the given extension. */
function sourceOf(type: string, extension: '.ts' | '.html'): string {
  return join(root, pack['node-red'].nodes[type]!.replace(/^dist\//, '').replace(/\.js$/, extension));
}

/**
 * Catalog keys a file uses: `data-i18n` entries (each `;`-separated, maybe `[attr]`-prefixed) and
 * quoted `<type>.<key>` strings, which is how the editor's `this._(...)` and runtime `RED._(...)` name them.
 */
function usedKeys(source: string): string[] {
  const fromAttributes = all(source, /data-i18n="([^"]*)"/g).flatMap((value) => value.split(';').map((entry) => entry.replace(/^\[[^\]]*\]/, '')));
  const quoted = all(source, /['"`](dynamodb-memory-[a-z]+\.[\w.]+)['"`]/g);
  return [...new Set([...fromAttributes, ...quoted])];
}

/**
 * Every schema in a request schema module that names an error text, with the placeholders the
 * validator fills for it: the field, the schema's numbers and choices, and for a property-name
 * schema the offending key.
 */
function schemasWithText(value: unknown, keyName = false, found = new Map<object, Set<string>>()): Map<object, Set<string>> {
  if (typeof value !== 'object' || value === null || found.has(value)) return found;
  const schema = value as Record<string, unknown>;
  if (typeof schema['errorText'] === 'string') {
    const filled = Object.entries(schema).filter(([, v]) => typeof v === 'number').map(([k]) => k);
    found.set(value, new Set(['field', ...filled, ...(schema['enum'] ? ['choices'] : []), ...(keyName ? ['key'] : [])]));
  }
  for (const [key, child] of Object.entries(schema)) schemasWithText(child, key === 'propertyNames', found);
  return found;
}

/** A route of a flow just deployed: the deploy answers before the flow has started and registered it. */
/** POST or GET a route of a flow just deployed, with a timeout. */
function fetchRoute(url: string, init: RequestInit = {}): Promise<Response> {
  return fetchDeployedRoute(url, { ...init, signal: AbortSignal.timeout(60_000) }, 30_000);
}

/**
 * A real Node-RED in the given runtime language, the pack linked from this repo as `npm start`
 * links it (Node-RED loads dist/).
 */
function realNodeRed(lang: string): () => NodeRed {
  let temp: string;
  let nodeRed: NodeRed | undefined;

  before(async function () {
    this.timeout(180_000);
    temp = mkdtempSync(join(tmpdir(), 'flowmemory-locales-'));
    const link = join(temp, 'node_modules', ...pack.name.split('/'));
    mkdirSync(join(link, '..'), { recursive: true });
    symlinkSync(root, link, 'junction');
    writeFileSync(join(temp, 'package.json'), JSON.stringify({ name: 'node-red-project', version: '0.0.1', private: true }));
    // The editor's languages come from each request, the runtime's from settings.
    writeSettingsIfAbsent(temp, { lang });
    nodeRed = await startNodeRed({ userDir: temp, port: await freePort(), startTimeoutMs: 150_000 });
  });

  after(async function () {
    this.timeout(60_000);
    await nodeRed?.stop();
    if (temp) rmSync(temp, { recursive: true, force: true });
  });

  return () => nodeRed!;
}

/** A connection to a table that does not exist, on DynamoDB Local. */
function missingTable(tableName: string): FlowNode {
  return {
    id: 'connection', type: 'dynamodb-memory-config', region: 'us-east-1', endpoint: dynamoDBLocal().endpoint, table: tableName,
    authType: 'keys', createTable: false, requestTimeoutMs: '10000', maxAttempts: '1', ttlDays: '', credentials: localCredentials,
  };
}

/**
 * POST /store → a store node that reads the session from msg.sessionId (or a fixed one); its Catch
 * answers the request with the error message, and GET /status answers with the store's last status text.
 */
function storeFlow(tableName: string, session = { sessionId: 'sessionId', sessionIdType: 'msg' }): FlowNode[] {
  return [
    { id: 'tab', type: 'tab', label: 'locales' },
    missingTable(tableName),
    { id: 'in', type: 'http in', z: 'tab', url: '/store', method: 'post', x: 0, y: 0, wires: [['store']] },
    {
      id: 'store', type: 'dynamodb-memory-store', z: 'tab', memory: 'connection', ...session,
      userId: '', userIdType: 'str', role: 'user', ttlDays: '', x: 0, y: 0, wires: [[]],
    },
    { id: 'catch', type: 'catch', z: 'tab', scope: ['store'], uncaught: false, x: 0, y: 0, wires: [['reply']] },
    {
      id: 'reply', type: 'change', z: 'tab', x: 0, y: 0, wires: [['out']],
      rules: [{ t: 'set', p: 'payload', pt: 'msg', to: 'error.message', tot: 'msg' }],
    },
    { id: 'out', type: 'http response', z: 'tab', x: 0, y: 0, wires: [] },
    { id: 'status', type: 'status', z: 'tab', scope: ['store'], x: 0, y: 0, wires: [['keep']] },
    {
      id: 'keep', type: 'change', z: 'tab', x: 0, y: 0, wires: [[]],
      rules: [{ t: 'set', p: 'status', pt: 'flow', to: 'status.text', tot: 'msg' }],
    },
    { id: 'ask', type: 'http in', z: 'tab', url: '/status', method: 'get', x: 0, y: 0, wires: [['tell']] },
    {
      id: 'tell', type: 'change', z: 'tab', x: 0, y: 0, wires: [['answer']],
      rules: [{ t: 'set', p: 'payload', pt: 'msg', to: 'status', tot: 'flow' }],
    },
    { id: 'answer', type: 'http response', z: 'tab', x: 0, y: 0, wires: [] },
  ];
}

/** Sends a msg without msg.sessionId through storeFlow; resolves to what Catch got and the status that stayed. */
async function storeWithoutSession(nodeRed: NodeRed, expectedStatus: string): Promise<{ caught: string; status: string }> {
  await deployFlows(nodeRed.url, storeFlow(uniqueName('unused')));
  const caught = await (await fetchRoute(`${nodeRed.url}/store`, { method: 'POST', headers: { 'Content-Type': 'text/plain' }, body: 'hallo' })).text();
  // The status node's msgs travel on their own: wait for the red status to arrive.
  let status = '';
  for (let tries = 0; status !== expectedStatus && tries < 50; tries++) {
    if (tries > 0) await new Promise((resolve) => setTimeout(resolve, 100));
    status = await (await fetchRoute(`${nodeRed.url}/status`)).text();
  }
  return { caught, status };
}

/** A msg without msg.sessionId reaches Catch and stays as the status in the catalog's words for lang. */
async function assertMissingSessionReported(nodeRed: NodeRed, lang: string, expected: string): Promise<void> {
  const text = fillIn(texts(catalog(lang, 'dynamodb-memory-config')).get('dynamodb-memory-config.errors.input.required')!, { field: 'sessionId' });
  assert.equal(text, expected);
  const { caught, status } = await storeWithoutSession(nodeRed, text);
  assert.equal(caught, `MemoryInputError: ${text}`, nodeRed.output());
  assert.equal(status, text);
}

describe('locales', () => {
  describe('translations match the en-US catalogs and help pages', () => {
    for (const type of types) {
      const english = texts(catalog('en-US', type));
      for (const lang of translations) {
        it(`${lang}/${type}.json has the same keys and placeholders`, () => {
          const translated = texts(catalog(lang, type));
          assert.deepEqual([...translated.keys()].sort(), [...english.keys()].sort());
          for (const [key, text] of english) {
            assert.deepEqual(placeholders(translated.get(key)!), placeholders(text), `${lang} ${key}: ${translated.get(key)}`);
            assert.notEqual(translated.get(key)!.trim(), '', `${lang} ${key} is not blank`);
          }
        });

        it(`${lang}/${type}.html has the same help name, structure and code`, () => {
          const original = help('en-US', type);
          const translated = help(lang, type);
          assert.deepEqual(all(translated, /data-help-name="([^"]+)"/g), [type]);
          assert.deepEqual(all(original, /data-help-name="([^"]+)"/g), [type]);
          assert.deepEqual(structure(translated), structure(original));
          assert.deepEqual(codes(translated), codes(original));
          assert.equal(errorExamples(translated).length, errorExamples(original).length, 'as many error examples as en-US');
        });
      }
    }

    for (const lang of ['en-US', ...translations]) {
      const messages = errorMessages(lang);
      const isMessage = (text: string) => messages.some((message) => message.test(text));
      for (const type of types) {
        it(`${lang}/${type}.html quotes only messages of the ${lang} error texts, each marked as one`, () => {
          const html = help(lang, type);
          // codes() and errorExamples() read only these two forms: a <code> written otherwise would escape both.
          assert.deepEqual(all(html, /(<code\b[^>]*>)/g).filter((tag) => tag !== '<code>' && tag !== '<code class="error-text">'), []);
          for (const example of errorExamples(html)) assert.ok(isMessage(example), `not a message of the ${lang} catalog: ${example}`);
          for (const code of codes(html)) assert.ok(!isMessage(decodeEntities(code)), `an error message without class="error-text": ${code}`);
        });
      }
    }

    it('the en-US error texts are the English messages of lib/errors/failure-texts.ts and input-texts.ts, one for each', () => {
      const errors = new Map(
        [...texts(catalog('en-US', 'dynamodb-memory-config'))]
          .filter(([key]) => key.startsWith('dynamodb-memory-config.errors.'))
          .map(([key, text]) => [key.slice('dynamodb-memory-config.errors.'.length), text]),
      );
      assert.deepEqual(errors, new Map([...Object.entries(failureTexts), ...Object.entries(inputTexts)]));
    });

    it('every request schema fills each placeholder of its error text', () => {
      const folder = join(root, 'dist', 'lib', 'schemas');
      const modules = readdirSync(folder).filter((file) => file.endsWith('-request.js'));
      assert.ok(modules.length >= 8, modules.join());
      const found = new Map<object, Set<string>>();
      for (const file of modules) schemasWithText(require(join(folder, file)) as object, false, found);
      assert.ok(found.size >= 30, `${found.size} schemas name an error text`);
      for (const [schema, filled] of found) {
        const text = (schema as { errorText: keyof typeof inputTexts }).errorText;
        const open = placeholders(inputTexts[text]).filter((name) => !literalNames.has(name) && !filled.has(name));
        assert.deepEqual(open, [], `${text} in ${JSON.stringify(schema)}`);
      }
    });

    for (const lang of translations) {
      it(`localizedFailure tells each of the pack's own errors in ${lang}, keeping its name, class and values`, () => {
        const known = texts(catalog(lang, 'dynamodb-memory-config'));
        // RED._ of a runtime in this language: the namespace before ':', the key after it.
        const translate = (key: string, values?: Record<string, string | number>) => fillIn(known.get(key.slice(key.indexOf(':') + 1))!, values ?? {});
        const own = [
          new MemoryInputError('input.required', { field: 'sessionId' }),
          new MemoryInputError('input.preference-key-name', { field: 'values', key: 'a#b', maxLength: 256 }),
          new SessionOwnershipError('s-1'),
          new EntityNotFoundError(['ana']),
          new EntityNotFoundError(['ana', 'bob']),
          new MemoryServiceError('table-missing', 'table-missing', { tableName: 't' }, { tableName: 't' }),
        ];
        for (const error of own) {
          const told = localizedFailure(error, translate) as typeof error;
          const expected = fillIn(known.get(`dynamodb-memory-config.errors.${error.text}`)!, error.values);
          assert.equal(told.message, expected);
          assert.notEqual(told.message, error.message, `${error.text} is translated`);
          assert.equal(told.constructor, error.constructor);
          assert.equal(told.name, error.name);
          assert.deepEqual([told.text, told.values], [error.text, error.values]);
          assert.doesNotMatch(told.message, /__(?!proto__)\w+__/, 'every placeholder is filled');
        }
      });
    }

    it('the languages are en-US, de and ja, each with the same catalogs and help pages', () => {
      const english = readdirSync(join(root, 'locales', 'en-US')).sort();
      assert.deepEqual(readdirSync(join(root, 'locales')).sort(), ['de', 'en-US', 'ja']);
      for (const lang of translations) assert.deepEqual(readdirSync(join(root, 'locales', lang)).sort(), english);
    });
  });

  describe('every key the code uses is in its node’s en-US catalog', () => {
    for (const type of types) {
      const known = texts(catalog('en-US', type));
      for (const extension of ['.html', '.ts'] as const) {
        it(`${type}${extension}`, () => {
          const source = readFileSync(sourceOf(type, extension), 'utf8');
          const used = usedKeys(source);
          assert.ok(extension === '.ts' || used.length > 0, 'the editor names its keys');
          // The registry binds a node's `RED._` and `this._` to that node's own catalog.
          for (const key of used) assert.ok(known.has(key), `${key} is not in locales/en-US/${type}.json`);
          assert.doesNotMatch(source, /RED\._\(\s*`/, 'keys are literals, so this test can check them');
        });
      }
    }

    it('lib/node-red/ names only keys of existing catalogs', () => {
      const folder = join(root, 'lib', 'node-red');
      for (const file of readdirSync(folder).filter((f) => f.endsWith('.ts'))) {
        for (const key of usedKeys(readFileSync(join(folder, file), 'utf8'))) {
          const type = key.slice(0, key.indexOf('.'));
          assert.ok(types.includes(type) && texts(catalog('en-US', type)).has(key), `${file}: ${key}`);
        }
      }
    });
  });

  describe('a real Node-RED serves the translations and speaks its runtime language', function () {
    const nodeRed = realNodeRed('de');

    it('serves each catalog in the language the editor asks for (GET /locales/<set>?lng=)', async () => {
      for (const type of types) {
        for (const lang of ['en-US', ...translations]) {
          const served = await adminApi<Catalog>(nodeRed().url, `/locales/${pack.name}/${type}?lng=${lang}`);
          const expected = texts(catalog(lang, type)).get(`${type}.paletteLabel`);
          assert.equal(texts(served).get(`${type}.paletteLabel`), expected, `${lang} ${type}`);
        }
      }
    });

    it('serves the help in the language of Accept-Language (GET /nodes)', async () => {
      for (const lang of translations) {
        const html = await adminApi<string>(nodeRed().url, '/nodes', { accept: 'text/html', headers: { 'Accept-Language': lang } });
        for (const type of types) assert.ok(html.includes(help(lang, type)), `${lang} help of ${type}`);
      }
    });

    it('a DynamoDB failure reaches Catch in German (lang: de)', async function () {
      this.timeout(120_000);
      const tableName = uniqueName('missing');
      const german = fillIn(texts(catalog('de', 'dynamodb-memory-config')).get('dynamodb-memory-config.errors.table-missing')!, { tableName });
      // A store on a missing table, with a valid session id: it gets as far as DynamoDB.
      await deployFlows(nodeRed().url, storeFlow(tableName, { sessionId: 's', sessionIdType: 'str' }));
      const response = await fetchRoute(`${nodeRed().url}/store`, { method: 'POST', headers: { 'Content-Type': 'text/plain' }, body: 'hallo' });
      // Node-RED gives Catch the error as `<name>: <message>`.
      assert.equal(await response.text(), `MemoryServiceError: ${german}`, nodeRed().output());
    });

    it("the config dialog's buttons answer in German too (lang: de)", async function () {
      this.timeout(120_000);
      const endpoint = `http://127.0.0.1:${await freePort()}`;
      const answer = await adminApi<{ ok: boolean; message: string }>(nodeRed().url, '/dynamodb-memory-config/test-connection', {
        method: 'POST',
        body: { region: 'us-east-1', endpoint, table: 'chat-memory', authType: 'keys', maxAttempts: '1', ...localCredentials },
      });
      const german = texts(catalog('de', 'dynamodb-memory-config')).get('dynamodb-memory-config.errors.endpoint-unreachable')!;
      assert.deepEqual(answer, { ok: false, checks: [], message: fillIn(german, { endpoint }) });
    });

    it('a msg without sessionId is reported in German at the status and Catch (lang: de)', async function () {
      this.timeout(120_000);
      await assertMissingSessionReported(nodeRed(), 'de', 'sessionId ist erforderlich');
    });
  });

  describe('a real Node-RED in Japanese reports invalid input in Japanese', function () {
    const nodeRed = realNodeRed('ja');

    it('a msg without sessionId is reported in Japanese at the status and Catch (lang: ja)', async function () {
      this.timeout(120_000);
      await assertMissingSessionReported(nodeRed(), 'ja', 'sessionId は必須です');
    });
  });
});
