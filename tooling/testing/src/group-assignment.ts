/**
 * The partitions a consumer process owns in the group `groupId` (`topic` → partitions), read from
 * its `joined consumer group` log lines: the latest line of each of its members (a kafkajs
 * consumer runs two by default), merged. The process also joins `<group>.retry` and
 * `<group>.dead-letters` and logs the same line for them, so those lines are skipped by group.
 */
export function groupAssignment(
  output: readonly string[],
  groupId: string,
): Record<string, number[]> {
  const byMember = new Map<number, Record<string, number[]>>();
  for (const line of output) {
    if (!line.includes('joined consumer group')) continue;
    const entry = JSON.parse(line) as {
      groupId?: string;
      member?: number;
      assignment: Record<string, number[]>;
    };
    if (entry.groupId === groupId) byMember.set(entry.member ?? 0, entry.assignment);
  }
  const merged: Record<string, number[]> = {};
  for (const assignment of byMember.values()) {
    for (const [topic, partitions] of Object.entries(assignment)) {
      merged[topic] = [...(merged[topic] ?? []), ...partitions];
    }
  }
  return merged;
}

/**
 * The same as `topic:partition` entries, one per member's claim: a partition two members list
 * (lines of two generations) appears twice, so a caller can wait for none to.
 */
export function ownedPartitions(output: readonly string[], groupId: string): string[] {
  return Object.entries(groupAssignment(output, groupId)).flatMap(([topic, partitions]) =>
    partitions.map((partition) => `${topic}:${partition}`),
  );
}
