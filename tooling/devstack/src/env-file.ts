/**
 * The text of an env file (`.stack/secure.env`, `.stack/redis-cluster.env`): one `KEY=value` a
 * line, for `set -a; source <file>; set +a` (or an env file of docker or systemd, hence no quotes
 * unless a value needs them in a shell).
 */
export function envFileText(variables: [name: string, value: string][]): string {
  return `${variables.map(([name, value]) => `${name}=${shellWord(value)}`).join('\n')}\n`;
}

/** The value as one shell word: as it is when it is safe so, else single-quoted. */
export function shellWord(value: string): string {
  return /^[\w./:@,+=%-]+$/.test(value) ? value : `'${value.replaceAll("'", `'\\''`)}'`;
}
