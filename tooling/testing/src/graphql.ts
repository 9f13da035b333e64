// GraphQL over real HTTP for tests, the bench and the reliability suite: one bounded POST that
// reports what came back (status, data, errors) or why nothing did, and never throws.

export interface GraphqlError {
  message: string;
  extensions?: { code?: string; [key: string]: unknown };
}

export interface GraphqlResult<T> {
  /** HTTP status, 0 when no answer came (refused, reset, timed out). */
  status: number;
  data?: T | null;
  errors?: GraphqlError[];
  /** Set when no answer came: the network error's code, or TIMEOUT. */
  failure?: string;
  ms: number;
}

/** POSTs one GraphQL operation, bounded by `timeoutMs`; never throws. */
export async function graphql<T>(
  url: string,
  query: string,
  variables: Record<string, unknown> = {},
  options: { timeoutMs?: number; headers?: Record<string, string> } = {},
): Promise<GraphqlResult<T>> {
  const started = performance.now();
  const ms = () => performance.now() - started;
  try {
    const response = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...options.headers },
      body: JSON.stringify({ query, variables }),
      signal: AbortSignal.timeout(options.timeoutMs ?? 10_000),
    });
    const text = await response.text();
    try {
      const body = JSON.parse(text) as { data?: T | null; errors?: GraphqlError[] };
      return { status: response.status, data: body.data, errors: body.errors, ms: ms() };
    } catch {
      return { status: response.status, failure: 'NOT_JSON', ms: ms() };
    }
  } catch (error) {
    const failure =
      error instanceof DOMException && error.name === 'TimeoutError'
        ? 'TIMEOUT'
        : (((error as { cause?: { code?: string } }).cause?.code ?? 'NETWORK') as string);
    return { status: 0, failure, ms: ms() };
  }
}

/** What went wrong, in one word: the GraphQL error code, the network failure, or the status. */
export function outcomeOf(result: GraphqlResult<unknown>): string {
  if (result.failure) return result.failure;
  const code = result.errors?.[0]?.extensions?.code;
  if (code) return code;
  if (result.errors?.length) return 'GRAPHQL_ERROR';
  return result.status === 200 ? 'OK' : `HTTP_${result.status}`;
}
