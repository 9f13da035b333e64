const DEFAULT_QUERY = `# Create a user, then log in with it.
mutation CreateUser {
  createUser(input: { username: "ada", email: "ada@example.com", password: "correct horse" }) {
    id
    username
    createdAt
  }
}
`;

/**
 * The GraphQL IDE page. GraphiQL's code, styles and editor workers are inlined from the
 * installed package, so the page needs nothing from the internet (hosted sandboxes load from a
 * CDN, which ECS tasks in private subnets and air-gapped laptops cannot reach). Rendered once, on
 * first use: the page is several megabytes. The package itself is imported on first use too: its
 * 9 MB module costs ~35 MiB of RSS (measured by pnpm bench), which a production task with the IDE
 * off never needs.
 */
export function createGraphqlIdePage(options: { endpoint: string }): () => Promise<string> {
  let page: Promise<string> | undefined;
  return () => {
    page ??= import('@graphql-yoga/render-graphiql').then(
      ({ renderGraphiQL }) =>
        renderGraphiQL({
          endpoint: options.endpoint,
          title: 'producer-svc GraphQL',
          defaultQuery: DEFAULT_QUERY,
        }),
      (error: unknown) => {
        page = undefined;
        throw error;
      },
    );
    return page;
  };
}

/** True for a browser navigating to the endpoint, not for a GraphQL client's GET. */
export function wantsHtml(accept: string | undefined): boolean {
  return accept?.includes('text/html') ?? false;
}
