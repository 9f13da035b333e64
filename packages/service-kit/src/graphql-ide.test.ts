import { createHash } from 'node:crypto';
import { createGraphqlIdePage, type GraphiqlAssets, wantsGraphqlIde } from './graphql-ide.ts';

const fakeAssets: GraphiqlAssets = {
  js: 'globalThis.YogaGraphiQL = {}',
  css: 'body {}',
  favicon: 'data:image/svg+xml,<svg/>',
  editorWorkerService: 'editor worker',
  jsonWorker: 'json worker',
  graphqlWorker: 'graphql worker',
};

/** The options the page hands to GraphiQL, read back from the page. */
function graphiqlOptionsOf(html: string): Record<string, unknown> {
  const json = /const options = (\{.*\});/.exec(html)?.[1];
  if (!json) throw new Error('no GraphiQL options in the page');
  return JSON.parse(json);
}

describe('GraphQL IDE page', () => {
  it('when built from the installed package, then everything it needs is inlined, nothing fetched from elsewhere', async () => {
    const { html } = await createGraphqlIdePage({
      endpoint: '/graphql',
      title: 'consumer-svc GraphQL',
      defaultQuery: '{ __typename }',
    })();
    expect(html).toContain('YogaGraphiQL.renderYogaGraphiQL(');
    expect(html).not.toMatch(/<script[^>]+src=["']https?:/);
    expect(html).not.toMatch(/<link[^>]+href=["']https?:/);
    expect(html.length).toBeGreaterThan(1_000_000);
  });

  it('when subscriptions are graphql-ws, then GraphiQL uses WebSocket and the header editor feeds connectionParams', async () => {
    const { html } = await createGraphqlIdePage({
      endpoint: '/graphql',
      title: 'consumer',
      defaultQuery: '{ users { id } }',
      subscriptions: 'graphql-ws',
      defaultHeaders: '{\n  // "Authorization": "Bearer <token>"\n}',
      loadAssets: async () => fakeAssets,
    })();
    expect(graphiqlOptionsOf(html)).toEqual({
      endpoint: '/graphql',
      title: 'consumer',
      defaultQuery: '{ users { id } }',
      defaultHeaders: '{\n  // "Authorization": "Bearer <token>"\n}',
      shouldPersistHeaders: false,
      subscriptionsProtocol: 'WS',
    });
    expect(html).toContain('options.connectionParams = () =>');
    expect(html).toContain('function authorizationFromHeaders(');
  });

  it('when there are no subscriptions, then no WebSocket and no header bridge', async () => {
    const { html } = await createGraphqlIdePage({
      endpoint: '/producer-svc/graphql',
      title: 'producer',
      defaultQuery: '{ ping }',
      loadAssets: async () => fakeAssets,
    })();
    const options = graphiqlOptionsOf(html);
    expect(options.subscriptionsProtocol).toBeUndefined();
    expect(options.defaultHeaders).toBe('{}');
    expect(html).not.toContain('connectionParams');
  });

  it('when a title or query holds markup, then it cannot end the script or inject HTML', async () => {
    const { html } = await createGraphqlIdePage({
      endpoint: '/graphql',
      title: '<img src=x onerror=alert(1)>',
      defaultQuery: '# </script><script>alert(1)</script>',
      loadAssets: async () => fakeAssets,
    })();
    expect(html).not.toContain('<img src=x');
    expect(html).not.toContain('</script><script>alert(1)');
    expect(graphiqlOptionsOf(html).defaultQuery).toBe('# </script><script>alert(1)</script>');
  });

  it('when the page is built, then its headers allow its one inline script by hash, and talking to the service only', async () => {
    const { html, headers } = await createGraphqlIdePage({
      endpoint: '/graphql',
      title: 't',
      defaultQuery: '',
      subscriptions: 'graphql-ws',
      loadAssets: async () => fakeAssets,
    })();
    const scripts = [...html.matchAll(/<script>([\s\S]*?)<\/script>/g)].map((match) => match[1]);
    expect(scripts).toHaveLength(1);
    const hash = createHash('sha256')
      .update(scripts[0] as string)
      .digest('base64');
    const policy = headers['content-security-policy']?.split('; ');
    expect(policy).toEqual(
      expect.arrayContaining([
        "default-src 'none'",
        `script-src 'sha256-${hash}'`,
        "connect-src 'self'",
        "frame-ancestors 'none'",
      ]),
    );
    expect(headers).toMatchObject({
      'content-type': 'text/html; charset=utf-8',
      'x-frame-options': 'DENY',
      'x-content-type-options': 'nosniff',
      'referrer-policy': 'no-referrer',
    });
  });

  it('when the page is asked for twice, then the assets are loaded once; when loading failed, then it is tried again', async () => {
    let loads = 0;
    const page = createGraphqlIdePage({
      endpoint: '/graphql',
      title: 't',
      defaultQuery: '',
      loadAssets: async () => {
        loads += 1;
        if (loads === 1) throw new Error('import failed');
        return fakeAssets;
      },
    });
    await expect(page()).rejects.toThrow('import failed');
    const [first, second] = await Promise.all([page(), page()]);
    expect(first).toBe(second);
    expect(loads).toBe(2);
  });

  it.each([
    ['GET', 'text/html,application/xhtml+xml', true],
    ['GET', 'application/json', false],
    ['GET', undefined, false],
    ['POST', 'text/html', false],
  ])('when %s with Accept %s, then the IDE is wanted: %s', (method, accept, expected) => {
    expect(wantsGraphqlIde({ method, headers: { accept } })).toBe(expected);
  });
});
