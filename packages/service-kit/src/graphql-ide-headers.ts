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
  // Comments out, then trailing commas out (strings left as they are in both); then plain
  // JSON.parse. Two linear passes: a comma is trailing when only whitespace follows it before
  // a closing bracket, which is simple to see once comments are gone.
  let bare = '';
  let index = 0;
  const stringEnd = (source: string, from: number) => {
    let end = from + 1;
    while (end < source.length && source[end] !== '"') end += source[end] === '\\' ? 2 : 1;
    return end + 1;
  };
  while (index < text.length) {
    const char = text[index] as string;
    const next = text[index + 1];
    if (char === '"') {
      const end = stringEnd(text, index);
      bare += text.slice(index, end);
      index = end;
    } else if (char === '/' && next === '/') {
      while (index < text.length && text[index] !== '\n') index += 1;
    } else if (char === '/' && next === '*') {
      const end = text.indexOf('*/', index + 2);
      index = end === -1 ? text.length : end + 2;
    } else {
      bare += char;
      index += 1;
    }
  }
  let json = '';
  index = 0;
  while (index < bare.length) {
    const char = bare[index] as string;
    if (char === '"') {
      const end = stringEnd(bare, index);
      json += bare.slice(index, end);
      index = end;
      continue;
    }
    if (char === ',') {
      let after = index + 1;
      while (after < bare.length && /\s/.test(bare[after] as string)) after += 1;
      if (bare[after] === '}' || bare[after] === ']') {
        index += 1;
        continue;
      }
    }
    json += char;
    index += 1;
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
