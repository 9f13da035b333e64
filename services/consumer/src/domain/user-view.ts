/** One user as the read side serves it (shared/contract.md, `UserView`). */
export interface UserView {
  id: string;
  username: string;
  email: string;
  firstName: string | null;
  lastName: string | null;
  createdAt: string;
  tokensIssued: number;
  lastTokenIssuedAt: string | null;
}

export interface UserPage {
  totalCount: number;
  nodes: UserView[];
  endCursor: string | null;
  hasNextPage: boolean;
}
