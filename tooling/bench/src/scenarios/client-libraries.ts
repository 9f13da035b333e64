import { KAFKA_LIBRARIES, type KafkaLibrary } from '@kafka-ecs/kafka';

/** What the publish and consume paths record per run for one Kafka client library. */
export interface ClientFigures {
  /** Records (or events) per second. */
  rates: number[];
  /** CPU time of the process per record, µs. */
  cpuPerRecord: number[];
  /** Peak resident set size of the process, MiB. */
  peakRss: number[];
  /** Redis' CPU time per record, µs (the consume path; empty where Redis takes no part). */
  redisCpuPerRecord: number[];
  /**
   * Redis' time in scripts per record, µs (the consume path's apply script), timed by Redis'
   * clock: beside the CPU time, not a part of it.
   */
  redisScriptPerRecord: number[];
  /** The local broker's CPU time per record, µs (the consume path; NaN without a local broker). */
  brokerCpuPerRecord: number[];
  /**
   * The whole machine's busy CPU time per record, µs (the consume path): every process together,
   * so 1e6 × cores / this is the most the machine could apply at that cost.
   */
  machineCpuPerRecord: number[];
}

/** Empty figures for every library the connection can run on. */
export function figuresByLibrary(): Record<KafkaLibrary, ClientFigures> {
  return Object.fromEntries(
    KAFKA_LIBRARIES.map((library) => [
      library,
      {
        rates: [],
        cpuPerRecord: [],
        peakRss: [],
        redisCpuPerRecord: [],
        redisScriptPerRecord: [],
        brokerCpuPerRecord: [],
        machineCpuPerRecord: [],
      },
    ]),
  ) as unknown as Record<KafkaLibrary, ClientFigures>;
}

/**
 * How a metric names its library: kafkajs, the default, keeps the names the earlier results
 * used (so they compare run to run); the others carry their name.
 */
export const librarySuffix = (library: KafkaLibrary) =>
  library === 'kafkajs' ? '' : ` (${library})`;
