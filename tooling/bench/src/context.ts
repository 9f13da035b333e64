import type { ServiceProcess } from '@kafka-ecs/testing';
import type { Redis } from 'ioredis';
import type { BenchKafka } from './infra/bench-kafka.ts';
import type { BenchConnections } from './infra/connection-security.ts';
import type { BenchService } from './infra/services.ts';
import type { BenchOptions } from './options.ts';
import type { Check, Metric } from './result-schema.ts';

/** What every scenario gets: clients, names, and the places to register what it must clean up. */
export interface BenchContext {
  options: BenchOptions;
  brokers: string[];
  redisUrl: string;
  /** TLS and SASL from the environment, for the bench's clients and the services it starts. */
  connections: BenchConnections;
  kafka: BenchKafka;
  /** The Java perf tools' client settings file for a secured broker; undefined for a plain one. */
  javaClientConfig?: string;
  redis: Redis;
  /** The local stack's broker process, when the run uses it: its CPU is measured too. */
  brokerPid?: number;
  /** Short and unique to this run: every topic, group and key prefix carries it. */
  tag: string;
  /** The retry and dead-letter topics the run's consumers use (made by the run, empty). */
  failureTopics: { retry: string; deadLetter: string };
  /** Where profiles go when `--profile` is on. */
  profileDir?: string;
  log(line: string): void;
  /** Registered as they are made; deleted at the end of the run (even a failed one). */
  cleanup: {
    topics: string[];
    groups: string[];
    redisPrefixes: string[];
    services: Set<BenchService>;
    /** The ceilings' servers (passthrough, bare Fastify) while they run. */
    workers: Set<ServiceProcess>;
    /** Files and folders. */
    files: string[];
  };
  /** Peak RSS (MiB) of every service process the run started, by service. */
  peakRss: { producer: number[]; consumer: number[] };
  /** A topic filled with `new-user-created` events by the publish scenario, for the consumer. */
  filled?: { topic: string; records: number };
}

/** What a scenario hands back; the runner adds its id, title, status and duration. */
export interface ScenarioOutcome {
  metrics: Metric[];
  checks: Check[];
  notes: string[];
}

export interface Scenario {
  id: string;
  title: string;
  run(context: BenchContext): Promise<ScenarioOutcome>;
}
