/** Valid data of each event type, for the package's tests. */
export const newUserData = {
  id: 'u-1',
  username: 'ada.lovelace',
  email: 'ada@example.com',
  firstName: 'Ada',
  lastName: null,
  createdAt: '2026-11-21T10:00:00.000Z',
};

export const issuedTokenData = {
  userId: 'u-1',
  tokenId: 't-1',
  issuedAt: '2026-11-21T10:00:00.000Z',
  expiresAt: '2026-11-21T11:00:00Z',
};
