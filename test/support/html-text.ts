/** The text an HTML fragment stands for: the entities the help pages use, decoded (`&amp;` last, so `&amp;lt;` stays `&lt;`). */
export function decodeEntities(html: string): string {
  return html
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'")
    .replace(/&amp;/g, '&');
}
