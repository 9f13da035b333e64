import { groupAssignment } from './group-assignment.ts';

const joined = (groupId: string, assignment: Record<string, number[]>, member?: number) =>
  JSON.stringify({ msg: 'joined consumer group', groupId, assignment, member });

describe('groupAssignment', () => {
  it("when members joined several times, then each member's latest assignment counts, merged", () => {
    const output = [
      joined('view', { a: [0, 1, 2, 3] }, 0),
      'an unrelated line',
      joined('view', { a: [2, 3] }, 1),
      joined('view.retry', { r: [0] }, 0),
      joined('view', { a: [0, 1] }, 0),
    ];
    expect(groupAssignment(output, 'view')).toEqual({ a: [0, 1, 2, 3] });
  });

  it('when lines name no member (one-member consumers), then the latest line is the assignment', () => {
    const output = [joined('view', { a: [0, 1] }), joined('view', { a: [1] })];
    expect(groupAssignment(output, 'view')).toEqual({ a: [1] });
    expect(groupAssignment(output, 'other')).toEqual({});
  });
});
