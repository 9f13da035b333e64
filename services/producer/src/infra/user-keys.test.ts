import { userKeys } from './user-keys.ts';

/** What a Redis Cluster hashes for a key's slot: its hash tag if it has one, else all of it. */
function slotInput(key: string): string {
  const open = key.indexOf('{');
  const close = key.indexOf('}', open + 1);
  return open >= 0 && close > open + 1 ? key.slice(open + 1, close) : key;
}

const ada = { id: '0b4e7a5c-9d3f-4a61-8c2e-5f1d6b7a8e90', username: 'ada.l_1-x' };

describe('userKeys', () => {
  it('when on a single Redis, then the names are the untagged ones deployments already hold', () => {
    const keys = userKeys('producer:', { cluster: false });
    expect(keys.username(ada.username)).toBe('producer:username:ada.l_1-x');
    expect(keys.user(ada)).toBe(`producer:user:${ada.id}`);
  });

  it('when on a cluster, then both keys of a user hash by its username alone, and two users apart', () => {
    const keys = userKeys('producer:', { cluster: true });
    expect(keys.username(ada.username)).toBe('producer:username:{ada.l_1-x}');
    expect(keys.user(ada)).toBe(`producer:user:{ada.l_1-x}:${ada.id}`);
    expect(slotInput(keys.username(ada.username))).toBe(ada.username);
    expect(slotInput(keys.user(ada))).toBe(ada.username);
    const bob = { ...ada, username: 'bob' };
    expect(slotInput(keys.user(bob))).not.toBe(slotInput(keys.user(ada)));
  });
});
