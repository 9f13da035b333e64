/**
 * The `Authorization` header in the text of GraphiQL's header editor, or undefined when there is
 * none (or the text is not a JSON object). The editor accepts JSON with comments and trailing
 * commas, so this does too.
 *
 * It runs in the IDE page, embedded with `Function.prototype.toString`: it must stay one
 * self-contained function, with nothing from this module's scope.
 */
export function authorizationFromHeaders(text: string | null | undefined): string | undefined {
  if (!text) return undefined;
  // Comments and trailing commas out, strings left as they are; then plain JSON.parse.
  let json = '';
  let index = 0;
  while (index < text.length) {
    const char = text[index] as string;
    const next = text[index + 1];
    if (char === '"') {
      let end = index + 1;
      while (end < text.length && text[end] !== '"') end += text[end] === '\\' ? 2 : 1;
      json += text.slice(index, end + 1);
      index = end + 1;
    } else if (char === '/' && next === '/') {
      while (index < text.length && text[index] !== '\n') index += 1;
    } else if (char === '/' && next === '*') {
      const end = text.indexOf('*/', index + 2);
      index = end === -1 ? text.length : end + 2;
    } else if (
      char === ',' &&
      /^\s*(?:\/\/[^\n]*\s*|\/\*[\s\S]*?\*\/\s*)*[}\]]/.test(text.slice(index + 1))
    ) {
      index += 1;
    } else {
      json += char;
      index += 1;
    }
  }
  let headers: unknown;
  try {
    headers = JSON.parse(json);
  } catch {
    return undefined;
  }
  if (typeof headers !== 'object' || headers === null || Array.isArray(headers)) return undefined;
  for (const [name, value] of Object.entries(headers)) {
    if (name.toLowerCase() === 'authorization' && typeof value === 'string') return value;
  }
  return undefined;
}
