/**
 * `npm run scorecard`: what the Node-RED Flow Library's scorecard (`node-red-dev validate`) checks
 * and can be checked offline, on the built pack: package.json (P01, P03-P07), examples (N02), the
 * number of dependencies (D01), and each node's files the way the Flow Library reads them, beside
 * the .js that package.json names. Left out: similar package names and node type names in the
 * catalogue (P08, N01), incompatible or outdated packages in the dependency tree (D02, D03).
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { minVersion, satisfies } from 'semver';
import { editorScripts, registeredTypes, type DefinitionProperty, type RegisteredType } from './node-definitions';
import { latestNodeRed } from './node-red-releases';

export interface Check {
  /** The validator's code (P01...) or, for a node's files, what is checked and the node type. */
  id: string;
  title: string;
  pass: boolean;
  detail: string;
}

export interface PackageJson {
  name: string;
  license?: string;
  repository?: unknown;
  bugs?: unknown;
  keywords?: string[];
  engines?: { node?: string };
  dependencies?: Record<string, string>;
  'node-red'?: { version?: string; nodes?: Record<string, string> };
}

const root = resolve(__dirname, '..', '..');
/** The Flow Library's dependency limit: the 95th percentile of its catalogue in October 2021. */
const maxDependencies = 6;
const scopedName = /@[a-z\d][\w-.]+\/[a-z\d][\w-.]*/;

const check = (id: string, title: string, pass: boolean, detail: string): Check => ({ id, title, pass, detail });

/**
 * The package.json checks. `testedNodeRed` is the Node-RED version the test suite runs on, which
 * `node-red.version` must admit as well as the latest release.
 */
export function packageChecks(pkg: PackageJson, testedNodeRed: string): Check[] {
  const nodeRedRange = pkg['node-red']?.version;
  const admitted = [latestNodeRed.version, testedNodeRed].filter((v) => nodeRedRange !== undefined && satisfies(v, nodeRedRange));
  const minimumNode = minVersion(latestNodeRed.node)!.version;
  const nodeRange = pkg.engines?.node;
  const dependencies = Object.keys(pkg.dependencies ?? {}).length;
  return [
    check('P01', 'has a license', typeof pkg.license === 'string' && pkg.license !== '', String(pkg.license ?? 'none')),
    check('P03', 'has a repository or bugs link', pkg.repository !== undefined || pkg.bugs !== undefined, 'repository/bugs'),
    check('P04', 'uses a scoped name', scopedName.test(pkg.name), pkg.name),
    check('P05', "has the 'node-red' keyword", pkg.keywords?.includes('node-red') === true, (pkg.keywords ?? []).join(', ')),
    check(
      'P06',
      `node-red.version admits Node-RED ${latestNodeRed.version} (latest) and ${testedNodeRed} (tested)`,
      admitted.length === 2,
      `${nodeRedRange ?? 'not declared'} admits ${admitted.join(', ') || 'neither'}`,
    ),
    check(
      'P07',
      `engines.node admits Node ${minimumNode} (the minimum of Node-RED ${latestNodeRed.version})`,
      nodeRange !== undefined && satisfies(minimumNode, nodeRange),
      nodeRange ?? 'not declared',
    ),
    check('D01', `has at most ${maxDependencies} dependencies`, dependencies <= maxDependencies, `${dependencies}`),
  ];
}

const literal = (p: DefinitionProperty | undefined, kind: 'string' | 'number' | 'object'): boolean =>
  p?.inline === true && (kind === 'object' ? Array.isArray(p.value) : typeof p.value === kind);

/** What is wrong with a node's editor definition, as the Flow Library reads it (empty: nothing). */
export function definitionProblems(type: string, registered: RegisteredType[]): string[] {
  if (registered.length !== 1) return [`${registered.length} registerType calls, expected 1`];
  const { type: name, definition } = registered[0]!;
  if (name !== type) return [`registerType names ${name === undefined ? 'a non-literal type' : `'${name}'`}, expected '${type}'`];
  if (!definition) return ['the definition is not an object literal'];
  const problems: string[] = [];
  const need = (property: string, kind: 'string' | 'number' | 'object') => {
    if (!literal(definition[property], kind)) problems.push(`${property} is ${definition[property] ? 'not inline' : 'missing'}`);
  };
  need('category', 'string');
  need('defaults', 'object');
  if (definition.credentials) need('credentials', 'object');
  if (definition.category?.inline && definition.category.value !== 'config') {
    need('color', 'string');
    need('icon', 'string');
    need('inputs', 'number');
    need('outputs', 'number');
    const color = definition.color;
    if (color?.inline && !/^#[\da-f]{6}$/i.test(String(color.value))) problems.push(`color ${String(color.value)} is not #rrggbb`);
  }
  return problems;
}

const keys = (p: DefinitionProperty | undefined): string[] => (p?.inline && Array.isArray(p.value) ? [...p.value].sort() : []);

/** The checks of one node type's files, found beside its .js like Node-RED's registry finds them. */
function nodeFileChecks(packageRoot: string, type: string, js: string): { checks: Check[]; category: string | undefined } {
  const html = js.replace(/\.js$/, '.html');
  const folder = dirname(js);
  if (!existsSync(js) || !existsSync(html)) {
    return { checks: [check(`files ${type}`, 'has its .js and .html (run the build)', false, `${relative(packageRoot, js)}, ${relative(packageRoot, html)}`)], category: undefined };
  }
  const editor = editorScripts(readFileSync(html, 'utf8')).flatMap((code) => registeredTypes(code, 'editor'));
  const runtime = registeredTypes(readFileSync(js, 'utf8'), 'runtime').filter((r) => r.type === type);
  const definition = editor[0]?.definition ?? {};
  const category = definition.category?.inline ? String(definition.category.value) : undefined;
  const problems = definitionProblems(type, editor);
  const checks = [check(`registerType ${type}`, 'literal registerType with an inline definition', problems.length === 0, problems.join('; ') || 'ok')];

  if (category !== 'config') {
    const icon = definition.icon?.inline ? String(definition.icon.value) : '';
    const found = icon.startsWith('font-awesome/') || existsSync(join(folder, 'icons', icon));
    checks.push(check(`icon ${type}`, 'its icon is in icons/ beside the .js', found, icon || 'none'));
  }

  const editorCredentials = keys(definition.credentials);
  const runtimeCredentials = keys(runtime[0]?.definition?.credentials);
  const same = editorCredentials.join() === runtimeCredentials.join();
  // A config node is where a flow's secrets belong: this pack's connection holds the AWS keys.
  const required = category === 'config';
  if (required || editorCredentials.length > 0 || runtimeCredentials.length > 0) {
    checks.push(
      check(
        `credentials ${type}`,
        'declares the same credentials in its .html and its .js',
        same && (!required || editorCredentials.length > 0),
        `html: ${editorCredentials.join(', ') || 'none'}; js: ${runtimeCredentials.join(', ') || 'none'}`,
      ),
    );
  }

  const help = join(folder, 'locales', 'en-US', `${type}.html`);
  const hasHelp = existsSync(help) && new RegExp(`data-help-name=["']${type}["']`).test(readFileSync(help, 'utf8'));
  checks.push(check(`help ${type}`, 'has English help text in locales/en-US beside the .js', hasHelp, relative(packageRoot, help)));
  return { checks, category };
}

/** The examples check (N02): each node that is not a config node is used in some examples/*.json. */
function examplesCheck(packageRoot: string, types: string[]): Check {
  const folder = join(packageRoot, 'examples');
  const files = existsSync(folder) ? readdirSync(folder).filter((f) => f.endsWith('.json')) : [];
  const used = new Set(files.flatMap((f) => (JSON.parse(readFileSync(join(folder, f), 'utf8')) as { type: string }[]).map((n) => n.type)));
  const missing = types.filter((t) => !used.has(t));
  return check('N02', 'examples use every node but config nodes', files.length > 0 && missing.length === 0, missing.length ? `missing: ${missing.join(', ')}` : `${files.length} examples`);
}

/** Every check, on the pack at `packageRoot` (built: the node files are read from dist/). */
export function scorecard(packageRoot = root): Check[] {
  const pkg = JSON.parse(readFileSync(join(packageRoot, 'package.json'), 'utf8')) as PackageJson;
  const testedNodeRed = (JSON.parse(readFileSync(require.resolve('node-red/package.json'), 'utf8')) as { version: string }).version;
  const nodes = Object.entries(pkg['node-red']?.nodes ?? {}).map(([type, js]) => ({ type, ...nodeFileChecks(packageRoot, type, join(packageRoot, js)) }));
  return [
    ...packageChecks(pkg, testedNodeRed),
    examplesCheck(packageRoot, nodes.filter((n) => n.category !== 'config').map((n) => n.type)),
    ...nodes.flatMap((n) => n.checks),
  ];
}

if (require.main === module) {
  const checks = scorecard();
  for (const c of checks) console.log(`${c.pass ? 'pass' : 'FAIL'}  ${c.id}: ${c.title} (${c.detail})`);
  const failed = checks.filter((c) => !c.pass).length;
  console.log(failed ? `\n${failed} of ${checks.length} checks failed` : `\nall ${checks.length} checks pass`);
  process.exitCode = failed ? 1 : 0;
}
