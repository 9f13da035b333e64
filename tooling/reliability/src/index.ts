export {
  committedOffsets,
  leadersByNode,
  produceRaw,
  publishedRecords,
  type RawRecord,
  readTopics,
  readView,
  type TopicAudit,
  type ViewAudit,
  waitForCatchUp,
} from './audit.ts';
export {
  computeFigures,
  createProgress,
  type Figures,
  formatFigures,
  reportFigures,
} from './figures.ts';
export {
  type PrivateKafka,
  type PrivateRedis,
  type PrivateRedisCluster,
  startPrivateKafka,
  startPrivateRedis,
  startPrivateRedisCluster,
} from './infrastructure.ts';
export {
  type Ledger,
  type Load,
  type LoadOptions,
  type MutationRecord,
  startLoad,
  tokenClaims,
} from './load.ts';
export { flood, type RawAnswer, rawHttp, trickle } from './raw-http.ts';
export { cleanAbandonedRuns, cleanRunDir, createRunDir } from './run-dir.ts';
export {
  failuresByOutcome,
  finishScenario,
  type ScenarioOptions,
  type ScenarioSystem,
  scrapeCounter,
  startSystem,
} from './scenario.ts';
export { createScope, type Scope } from './scope.ts';
export {
  consumerEnv,
  probe,
  producerEnv,
  queryConsumer,
  READER_OPERATOR,
  readerAuthorization,
  runConsumerCommand,
  type ServiceHandle,
  startService,
  waitForAssignment,
} from './services.ts';
export {
  type GraphqlWsError,
  type Subscription,
  sendOversized,
  subscribe,
} from './subscription.ts';
