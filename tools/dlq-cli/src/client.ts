import type { Filters } from './args.ts';
import { CliError, ExitCode } from './errors.ts';

export interface DeadLetterSummary {
  id: string;
  topic: string;
  partition: number;
  offset: string;
  key: string | null;
  attempts: number;
  reason: string;
  errorName: string;
  errorMessage: string;
  firstFailedAt: string;
  failedAt: string;
}

export interface DeadLetterDetail extends DeadLetterSummary {
  consumerGroup: string;
  status: string;
  payload: string | null;
  payloadBase64: string | null;
  headers: { name: string; value: string }[];
  history: {
    at: string;
    action: string;
    attempt: number;
    reason: string | null;
    errorName: string | null;
    errorMessage: string | null;
  }[];
}

const SUMMARY =
  'id topic partition offset key attempts reason errorName errorMessage firstFailedAt failedAt';
const DETAIL = `${SUMMARY} consumerGroup status payload payloadBase64 headers { name value }
  history { at action attempt reason errorName errorMessage }`;

/** Bound on one request: a replay runs the handler once, which takes milliseconds. */
const REQUEST_TIMEOUT_MS = 15_000;
/** A bulk replay runs at most 50 s on the consumer (its bound), plus the request's own margin. */
const BULK_REPLAY_TIMEOUT_MS = 50_000 + REQUEST_TIMEOUT_MS;

export interface BulkReplayResult {
  dryRun: boolean;
  matched: number;
  replayed: number;
  failed: number;
  skipped: number;
  ids: string[];
}

export interface AuditEntry {
  id: string;
  at: string;
  actor: string;
  action: string;
  deadLetterIds: string[];
  dryRun: boolean;
  outcome: string;
  reason: string | null;
  filter: string | null;
}

/** The consumer's operator API, with its failures turned into exit codes. */
export function createDeadLetterClient(settings: { url: string; token?: string }) {
  async function request<T>(
    query: string,
    variables: Record<string, unknown> = {},
    timeoutMs = REQUEST_TIMEOUT_MS,
  ): Promise<T> {
    let response: Response;
    try {
      response = await fetch(settings.url, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          ...(settings.token ? { authorization: `Bearer ${settings.token}` } : {}),
        },
        body: JSON.stringify({ query, variables }),
        signal: AbortSignal.timeout(timeoutMs),
      });
    } catch (error) {
      throw new CliError(
        `cannot reach the consumer at ${settings.url}: ${(error as Error).message}`,
        ExitCode.unavailable,
      );
    }
    let body: { data?: T; errors?: { message: string; extensions?: { code?: string } }[] };
    try {
      body = (await response.json()) as typeof body;
    } catch {
      throw new CliError(
        `the consumer at ${settings.url} answered ${response.status} without a GraphQL body`,
        ExitCode.unavailable,
      );
    }
    const [error] = body.errors ?? [];
    if (error) {
      const code = error.extensions?.code;
      if (code === 'UNAUTHENTICATED' || code === 'FORBIDDEN') {
        const hint = settings.token ? '' : ' (set DLQ_TOKEN or ADMIN_TOKEN)';
        throw new CliError(`${error.message}${hint}`, ExitCode.unauthorized);
      }
      if (code === 'NOT_FOUND') throw new CliError(error.message, ExitCode.notFound);
      if (code === 'BAD_USER_INPUT') throw new CliError(error.message, ExitCode.usage);
      throw new CliError(`the consumer answered: ${error.message}`, ExitCode.unavailable);
    }
    if (!body.data) throw new CliError('the consumer answered no data', ExitCode.unavailable);
    return body.data;
  }

  return {
    /** One page; `detail` asks for everything `show` prints (export), not just the summary. */
    async page<Detail extends boolean = false>(
      filters: Filters,
      first: number,
      after: string | null,
      detail?: Detail,
    ): Promise<Page<Detail extends true ? DeadLetterDetail : DeadLetterSummary>> {
      type Node = Detail extends true ? DeadLetterDetail : DeadLetterSummary;
      const data = await request<{ deadLetters: Connection<Node> }>(
        `query($topic: String, $reason: String, $errorContains: String, $key: String,
               $since: String, $until: String, $first: Int, $after: String) {
          deadLetters(topic: $topic, reason: $reason, errorContains: $errorContains, key: $key,
                      since: $since, until: $until, first: $first, after: $after) {
            totalCount nodes { ${detail ? DETAIL : SUMMARY} } pageInfo { endCursor hasNextPage } } }`,
        { ...filters, first, after },
      );
      return toPage(data.deadLetters);
    },
    async get(id: string): Promise<DeadLetterDetail> {
      const data = await request<{ deadLetter: DeadLetterDetail | null }>(
        `query($id: ID!) { deadLetter(id: $id) { ${DETAIL} } }`,
        { id },
      );
      if (!data.deadLetter) throw new CliError(`no dead letter with id ${id}`, ExitCode.notFound);
      return data.deadLetter;
    },
    /** One replay, run and audited by the consumer; `dryRun`: what it would do, audited too. */
    async replay(
      id: string,
      options: { dryRun?: boolean } = {},
    ): Promise<{ outcome: string; errorName: string | null; errorMessage: string | null }> {
      const data = await request<{
        replayDeadLetter: {
          outcome: string;
          errorName: string | null;
          errorMessage: string | null;
        };
      }>(
        `mutation($id: ID!, $dryRun: Boolean!) {
          replayDeadLetter(id: $id, dryRun: $dryRun) { outcome errorName errorMessage } }`,
        { id, dryRun: options.dryRun ?? false },
      );
      return data.replayDeadLetter;
    },
    /**
     * One bulk replay, run by the consumer (which paces, single-flights and audits it); waits
     * as long as the pace needs, at most the consumer's bound on one run.
     */
    async replayMany(
      filters: Filters,
      options: { dryRun: boolean; limit?: number; ratePerSecond: number },
    ): Promise<BulkReplayResult> {
      const data = await request<{ replayDeadLetters: BulkReplayResult }>(
        `mutation($filter: DeadLetterFilter!, $dryRun: Boolean!, $limit: Int, $rate: Int) {
          replayDeadLetters(filter: $filter, dryRun: $dryRun, limit: $limit, ratePerSecond: $rate) {
            dryRun matched replayed failed skipped ids } }`,
        {
          filter: filters,
          dryRun: options.dryRun,
          limit: options.limit,
          rate: options.ratePerSecond,
        },
        BULK_REPLAY_TIMEOUT_MS,
      );
      return data.replayDeadLetters;
    },
    /** True when discarded; false when already replayed or discarded, or being replayed now. */
    async discard(id: string, reason: string): Promise<boolean> {
      const data = await request<{ discardDeadLetter: boolean }>(
        'mutation($id: ID!, $reason: String!) { discardDeadLetter(id: $id, reason: $reason) }',
        { id, reason },
      );
      return data.discardDeadLetter;
    },
    async auditPage(first: number, after: string | null): Promise<Page<AuditEntry>> {
      const data = await request<{ deadLetterAudit: Connection<AuditEntry> }>(
        `query($first: Int, $after: String) { deadLetterAudit(first: $first, after: $after) {
          totalCount nodes { id at actor action deadLetterIds dryRun outcome reason filter }
          pageInfo { endCursor hasNextPage } } }`,
        { first, after },
      );
      return toPage(data.deadLetterAudit);
    },
    async stats(): Promise<Record<string, number>> {
      const data = await request<{ retryStats: Record<string, number> }>(
        '{ retryStats { scheduled retried succeeded deadLettered replayed pending failedJobs } }',
      );
      return data.retryStats;
    },
  };
}

export type DeadLetterClient = ReturnType<typeof createDeadLetterClient>;

export interface Page<Node> {
  totalCount: number;
  nodes: Node[];
  endCursor: string | null;
  hasNextPage: boolean;
}

/** A GraphQL connection as the server answers it. */
interface Connection<Node> {
  totalCount: number;
  nodes: Node[];
  pageInfo: { endCursor: string | null; hasNextPage: boolean };
}

const toPage = <Node>({ totalCount, nodes, pageInfo }: Connection<Node>): Page<Node> => ({
  totalCount,
  nodes,
  ...pageInfo,
});

/** The pages of dead letters matching the filters, up to `limit` dead letters in all. */
export async function* pages<Detail extends boolean = false>(
  client: DeadLetterClient,
  filters: Filters,
  limit = Number.POSITIVE_INFINITY,
  detail?: Detail,
): AsyncGenerator<Page<Detail extends true ? DeadLetterDetail : DeadLetterSummary>> {
  let after: string | null = null;
  let seen = 0;
  while (seen < limit) {
    const page: Page<Detail extends true ? DeadLetterDetail : DeadLetterSummary> =
      await client.page(filters, Math.min(100, limit - seen), after, detail);
    yield page;
    seen += page.nodes.length;
    if (!page.hasNextPage || page.endCursor === null) return;
    after = page.endCursor;
  }
}
