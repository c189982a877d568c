export {
  createBatchingClickSink,
  type BatchingClickSink,
  type BatchingClickSinkOptions,
} from './batching-click-sink.ts';
export {
  CLICK_BATCH_MAX,
  clickHeader,
  RAW_REFERRER_MAX_LENGTH,
  RAW_USER_AGENT_MAX_LENGTH,
  type ClickSink,
  type RawClick,
} from './click-sink.ts';
export {
  createClickWriter,
  type ClickWriter,
  type ClickWriterDependencies,
} from './click-writer.ts';
export { createClicksRepository, type ClicksRepository } from './clicks.repository.ts';
export { anonymizeIp, type ClickIpMode } from './ip-address.ts';
export {
  createStatsRepository,
  type RecentClick,
  type StatsRepository,
} from './stats.repository.ts';
export {
  STATS_DEFAULT_DAYS,
  STATS_MAX_DAYS,
  createStatsService,
  type CountedValue,
  type LinkStats,
  type StatsService,
} from './stats.service.ts';
export { createClickDelivery, type ClickDelivery } from './click-delivery.ts';
export { createClickEventIds } from './click-event-ids.ts';
export {
  ClickSpoolFullError,
  createClickSpool,
  type ClickBatch,
  type ClickSpool,
} from './click-spool.ts';
