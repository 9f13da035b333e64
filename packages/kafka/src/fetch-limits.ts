/**
 * What one fetch may bring, for both client libraries. kafkajs decodes a whole fetch before it
 * hands out the first batch, and its records stay live until every batch of that fetch is
 * applied and committed: the fetch size is the consumer's working set when it is behind.
 * With kafkajs' defaults (10 MiB a fetch, 1 MiB a partition: ~27,000 of our events) the consumer
 * peaked at 233–254 MiB RSS in the bench's consume scenario; with these, 191–199 MiB, for a rate
 * within the run-to-run noise to 20 % lower (docs/performance.md, "The consumer's memory").
 * @platformatic/kafka's own defaults (50 MiB a fetch, as much a partition) peaked at 1,059 MiB.
 * A record batch larger than the partition's share still comes whole (Kafka always returns the
 * first batch of a partition), so no record is ever too big to fetch.
 */
export const FETCH_MAX_BYTES = 2 * 1024 * 1024;
export const FETCH_MAX_BYTES_PER_PARTITION = 256 * 1024;
