/**
 * A text with each `__name__` replaced by its value, as Node-RED's i18next fills catalog texts (one
 * pass, names matched shortest first, so `__a____b__` is two placeholders); unknown names stay.
 */
export function fillIn(template: string, values: Readonly<Record<string, string | number>>): string {
  return template.replace(/__(\w+?)__/g, (whole, name: string) => (name in values ? String(values[name]) : whole));
}
