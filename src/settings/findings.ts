export const LEVELS = ['info', 'warning', 'error'] as const;
export type Level = (typeof LEVELS)[number];

/**
 * One problem with a configuration. The id is stable across releases (documented in
 * docs/checks.md) so operators can search for it and silence nothing by accident.
 */
export interface Finding {
  readonly id: string;
  readonly level: Level;
  /** The environment variable at fault, when there is one. */
  readonly setting?: string;
  readonly message: string;
  readonly hint: string;
}

export function atLeast(level: Level, threshold: Level): boolean {
  return LEVELS.indexOf(level) >= LEVELS.indexOf(threshold);
}

const MARK: Record<Level, string> = { error: 'ERROR', warning: 'WARNING', info: 'INFO' };

export function formatFinding(finding: Finding): string {
  const subject = finding.setting ? `${finding.setting}: ` : '';
  return `${MARK[finding.level]} ${finding.id} ${subject}${finding.message}\n    fix: ${finding.hint}`;
}

export function formatFindings(findings: readonly Finding[]): string {
  return findings.map(formatFinding).join('\n');
}
