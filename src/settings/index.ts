export { checksReference } from './checks-reference.ts';
export {
  definitions,
  definitionList,
  PROFILES,
  type Profile,
  type SettingKey,
} from './definitions.ts';
export { deployChecks } from './deploy-checks.ts';
export { FINDINGS, finding, type FindingId, type FindingKey } from './finding-registry.ts';
export {
  atLeast,
  formatFinding,
  formatFindings,
  LEVELS,
  type Finding,
  type Level,
} from './findings.ts';
export {
  hasErrors,
  loadSettings,
  secretKeyWeakness,
  type LoadedSettings,
  type LoadSettingsOptions,
  type QueueMode,
  type Settings,
} from './load-settings.ts';
export { describeEffectiveSettings, envExample, settingsReference } from './reference.ts';
export type { TlsMaterial } from './tls.ts';
