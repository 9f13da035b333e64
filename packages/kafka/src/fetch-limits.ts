/**
 * What one fetch may bring, for both client libraries. kafkajs decodes a whole fetch before it
 * hands out the first batch, and its records stay live until every batch of that fetch is
 * applied and committed: the fetch size is the consumer's working set when it is behind.
 * With kafkajs' defaults (10 MiB a fetch, 1 MiB a partition: ~27,000 of our events) the consumer
 * peaked at 233–254 MiB RSS in the bench's consume scenario; with these, 189–202 MiB, for a
 * rate 3–24 % lower in noisy same-session pairs (docs/performance.md, "The consumer's memory").
 * @platformatic/kafka's own defaults (50 MiB a fetch, as much a partition) peaked at 1,059 MiB.
 * Both libraries fetch from each broker on its own, so this is per broker.
 * A record batch larger than a partition's share still comes, but only as the first data of a
 * response (Kafka's rule): while partitions ahead of it in the request have data, it waits.
 */
export const FETCH_MAX_BYTES = 2 * 1024 * 1024;
export const FETCH_MAX_BYTES_PER_PARTITION = 256 * 1024;
