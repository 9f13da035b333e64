import { createHash } from 'node:crypto';
import { authorizationFromHeaders } from './graphql-ide-headers.ts';

/** GraphiQL's code, styles, favicon and editor workers, as `@graphql-yoga/render-graphiql` ships them. */
export interface GraphiqlAssets {
  js: string;
  css: string;
  favicon: string;
  editorWorkerService: string;
  jsonWorker: string;
  graphqlWorker: string;
}

export interface GraphqlIdeOptions {
  /** The GraphQL endpoint's path, e.g. `/graphql`. */
  endpoint: string;
  /** The page's title, shown in the tab and in the IDE. */
  title: string;
  /** What the first tab holds, until the browser has tabs of its own stored. */
  defaultQuery: string;
  /**
   * How the page runs subscriptions: `graphql-ws` over a WebSocket on the endpoint, the header
   * editor's `Authorization` sent as `connectionParams.authorization`; `none` when the service has
   * none. @defaultValue none
   */
  subscriptions?: 'graphql-ws' | 'none';
  /** What the header editor holds in a new tab (JSON, comments allowed). @defaultValue `{}` */
  defaultHeaders?: string;
  /** Where GraphiQL's assets come from. @defaultValue the installed package, imported on first use */
  loadAssets?: () => Promise<GraphiqlAssets>;
}

/** The page, and the headers to send it with. */
export interface GraphqlIdePage {
  html: string;
  headers: Readonly<Record<string, string>>;
}

const loadInstalledAssets = (): Promise<GraphiqlAssets> =>
  import('@graphql-yoga/render-graphiql/graphiql');

/**
 * The GraphQL IDE page, for the producer and the consumer alike. GraphiQL's code, styles and
 * editor workers are inlined from the installed package, so the page needs nothing from the
 * internet (hosted sandboxes load from a CDN, which ECS tasks in private subnets and air-gapped
 * laptops cannot reach). Rendered once, on first use: the page is several megabytes. The package
 * itself is imported on first use too: its 9 MB module costs ~35 MiB of RSS (measured by pnpm
 * bench), which a production task with the IDE off never needs.
 */
export function createGraphqlIdePage(options: GraphqlIdeOptions): () => Promise<GraphqlIdePage> {
  const loadAssets = options.loadAssets ?? loadInstalledAssets;
  let page: Promise<GraphqlIdePage> | undefined;
  return () => {
    page ??= loadAssets().then(
      (assets) => {
        const script = renderScript(assets, options);
        return { html: renderHtml(assets, options, script), headers: pageHeaders(script) };
      },
      (error: unknown) => {
        // A failed import is tried again on the next request, not remembered.
        page = undefined;
        throw error;
      },
    );
    return page;
  };
}

/** True for a browser navigating to the endpoint, not for a GraphQL client's GET or POST. */
export function wantsGraphqlIde(request: {
  method: string;
  headers: { accept?: string | undefined };
}): boolean {
  return request.method === 'GET' && (request.headers.accept?.includes('text/html') ?? false);
}

/**
 * Headers for the IDE page. It is where a person pastes a token, so the browser runs only the
 * page's own script (by its hash) and its workers, talks only to the service (`connect-src
 * 'self'`, WebSockets included), lets no other site frame it (clickjacking), and neither guesses
 * its type nor sends its address elsewhere.
 */
function pageHeaders(script: string): Record<string, string> {
  const scriptHash = createHash('sha256').update(script).digest('base64');
  return {
    'content-type': 'text/html; charset=utf-8',
    'content-security-policy': [
      "default-src 'none'",
      `script-src 'sha256-${scriptHash}'`,
      'worker-src blob:',
      // Monaco and GraphiQL add style elements and attributes as they render.
      "style-src 'unsafe-inline'",
      "img-src 'self' data:",
      'font-src data:',
      "connect-src 'self'",
      "base-uri 'none'",
      "form-action 'none'",
      "frame-ancestors 'none'",
    ].join('; '),
    'x-frame-options': 'DENY',
    'x-content-type-options': 'nosniff',
    'referrer-policy': 'no-referrer',
  };
}

/**
 * The page yoga's own renderGraphiQL writes, plus what its options cannot carry (they are
 * serialised as JSON, so no functions): with `graphql-ws`, the header editor's Authorization
 * reaches the WebSocket. Yoga's GraphiQL sends the editor's headers with HTTP requests only; over
 * WebSocket it sends just the `connectionParams` option, which may be a function, called each
 * time the socket opens. So the page keeps the active tab's header text (GraphiQL reports edits
 * and tab switches) and `connectionParams` reads the Authorization from it. The socket closes
 * when no subscription runs, so a new token applies from the next subscription started after the
 * running ones stopped.
 */
function renderScript(assets: GraphiqlAssets, options: GraphqlIdeOptions): string {
  const defaultHeaders = options.defaultHeaders ?? '{}';
  const graphiqlOptions = {
    endpoint: options.endpoint,
    title: options.title,
    defaultQuery: options.defaultQuery,
    defaultHeaders,
    // A pasted token stays in the page: not written to localStorage, where it would outlive it.
    shouldPersistHeaders: false,
    ...(options.subscriptions === 'graphql-ws' ? { subscriptionsProtocol: 'WS' } : {}),
  };
  const headerBridge =
    options.subscriptions === 'graphql-ws'
      ? `
        const authorizationFromHeaders = ${authorizationFromHeaders.toString()};
        let headersText = options.defaultHeaders;
        options.onEditHeaders = (text) => { headersText = text; };
        options.onTabChange = (state) => {
          headersText = state.tabs[state.activeTabIndex]?.headers ?? options.defaultHeaders;
        };
        options.connectionParams = () => {
          const authorization = authorizationFromHeaders(headersText);
          return authorization ? { authorization } : {};
        };`
      : '';
  return `
      function prepareBlob(workerContent) {
        const blob = new Blob([workerContent], { type: 'application/javascript' });
        return URL.createObjectURL(blob);
      }
      const workers = {
        editorWorkerService: prepareBlob(${scriptJson(assets.editorWorkerService)}),
        json: prepareBlob(${scriptJson(assets.jsonWorker)}),
        graphql: prepareBlob(${scriptJson(assets.graphqlWorker)}),
      };
      self['MonacoEnvironment'] = {
        globalAPI: false,
        getWorkerUrl: function (moduleId, label) {
          return workers[label];
        },
      };
      ${assets.js};
      const options = ${scriptJson(graphiqlOptions)};${headerBridge}
      YogaGraphiQL.renderYogaGraphiQL(window.document.querySelector('#root'), options);
    `;
}

function renderHtml(assets: GraphiqlAssets, options: GraphqlIdeOptions, script: string): string {
  return `<!doctype html>
<html lang="en">
  <head>
    <meta charset="utf-8" />
    <title>${escapeHtml(options.title)}</title>
    <link rel="icon" href="${escapeHtml(assets.favicon)}" />
    <style>
      ${assets.css}
    </style>
  </head>
  <body id="body" class="no-focus-outline">
    <noscript>You need to enable JavaScript to run this app.</noscript>
    <div id="root"></div>
    <script>${script}</script>
  </body>
</html>
`;
}

/** JSON that is safe inside a <script>: no `</script>` or `<!--` can end or alter it. */
function scriptJson(value: unknown): string {
  return JSON.stringify(value)
    .replaceAll('<', '\\u003c')
    .replaceAll('\u2028', '\\u2028')
    .replaceAll('\u2029', '\\u2029');
}

const HTML_ESCAPES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (char) => HTML_ESCAPES[char] ?? char);
}
