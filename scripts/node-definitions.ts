/**
 * Reads the `RED.nodes.registerType(...)` calls of a node's editor file (.html) or runtime file (.js)
 * with the TypeScript parser, the way the Flow Library's validator reads them with acorn: only what
 * is written literally in the call counts, since the Flow Library never runs the code.
 */
import ts from 'typescript';

/** One property of a definition: its literal value, or `inline: false` when it is computed. */
export type DefinitionProperty = { inline: true; value: string | number | string[] } | { inline: false };

export interface RegisteredType {
  /** The type name, or undefined when it is not a string literal. */
  type: string | undefined;
  /**
   * The editor's definition (html: 2nd argument) or the runtime's options (js: 3rd argument), by
   * property name; undefined when that argument is not an object literal. Object-valued properties
   * (`defaults`, `credentials`) give their key names.
   */
  definition: Record<string, DefinitionProperty> | undefined;
}

/** The editor's `<script type="text/javascript">` blocks, found with the validator's own pattern. */
export function editorScripts(html: string): string[] {
  return [...html.matchAll(/<script.+?type=['"]text\/javascript['"].*?>([\S\s]*?)<\/script>/gi)].map((m) => m[1]!);
}

function propertyName(name: ts.PropertyName): string | undefined {
  return ts.isIdentifier(name) || ts.isStringLiteral(name) ? name.text : undefined;
}

function propertyValue(value: ts.Expression): DefinitionProperty {
  if (ts.isStringLiteral(value)) return { inline: true, value: value.text };
  if (ts.isNumericLiteral(value)) return { inline: true, value: Number(value.text) };
  if (ts.isObjectLiteralExpression(value)) {
    const keys = value.properties.map((p) => (p.name ? propertyName(p.name) : undefined));
    if (keys.every((key): key is string => key !== undefined)) return { inline: true, value: keys };
  }
  return { inline: false };
}

function definitionOf(argument: ts.Expression | undefined): RegisteredType['definition'] {
  if (!argument || !ts.isObjectLiteralExpression(argument)) return undefined;
  const definition: Record<string, DefinitionProperty> = {};
  for (const property of argument.properties) {
    const name = property.name && propertyName(property.name);
    if (name && ts.isPropertyAssignment(property)) definition[name] = propertyValue(property.initializer);
  }
  return definition;
}

/**
 * Every `registerType` call in the code. In editor code the definition is the 2nd argument; in
 * runtime code (the constructor comes 2nd) it is the 3rd, which holds `credentials`.
 */
export function registeredTypes(code: string, where: 'editor' | 'runtime'): RegisteredType[] {
  const source = ts.createSourceFile('code.js', code, ts.ScriptTarget.Latest, false, ts.ScriptKind.JS);
  const found: RegisteredType[] = [];
  const visit = (node: ts.Node): void => {
    if (ts.isCallExpression(node) && ts.isPropertyAccessExpression(node.expression) && node.expression.name.text === 'registerType') {
      const [type, second, third] = node.arguments;
      found.push({
        type: type && ts.isStringLiteral(type) ? type.text : undefined,
        definition: definitionOf(where === 'editor' ? second : third),
      });
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return found;
}
