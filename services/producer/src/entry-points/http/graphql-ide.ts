import { renderGraphiQL } from '@graphql-yoga/render-graphiql';

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
 * first use: the page is several megabytes.
 */
export function createGraphqlIdePage(options: { endpoint: string }): () => string {
  let page: string | undefined;
  return () => {
    page ??= renderGraphiQL({
      endpoint: options.endpoint,
      title: 'producer-svc GraphQL',
      defaultQuery: DEFAULT_QUERY,
    });
    return page;
  };
}

/** True for a browser navigating to the endpoint, not for a GraphQL client's GET. */
export function wantsHtml(accept: string | undefined): boolean {
  return accept?.includes('text/html') ?? false;
}
