/** Reads a V8 .cpuprofile (node --cpu-prof) and lists the frames with the most self time. */
import { readFileSync } from 'node:fs';
import { relative } from 'node:path';

interface ProfileNode {
  readonly id: number;
  readonly callFrame: { functionName: string; url: string; lineNumber: number };
  readonly hitCount?: number;
}

interface CpuProfile {
  readonly nodes: readonly ProfileNode[];
  readonly samples: readonly number[];
  readonly timeDeltas: readonly number[];
}

/** `limit` frames (self-time share, function, file:line), then the top packages by self time. */
export function summarizeProfile(path: string, limit: number): string {
  const profile = JSON.parse(readFileSync(path, 'utf8')) as CpuProfile;
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const selfUs = new Map<string, number>();
  // Self time per npm package (or node internals, Hoplink's own code, idle, GC).
  const byOwner = new Map<string, number>();
  let total = 0;
  profile.samples.forEach((id, i) => {
    const node = byId.get(id);
    const delta = profile.timeDeltas[i] ?? 0;
    if (!node) return;
    const { functionName, url, lineNumber } = node.callFrame;
    const file = url.startsWith('file://') ? relative(process.cwd(), new URL(url).pathname) : url;
    const name = (functionName || '(anonymous)').slice(0, 60);
    const key = `${name}  ${file}${file ? `:${lineNumber + 1}` : ''}`;
    selfUs.set(key, (selfUs.get(key) ?? 0) + delta);
    const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url)?.[1];
    const owner = pkg ?? (url.startsWith('node:') ? 'node' : url ? 'hoplink' : name);
    byOwner.set(owner, (byOwner.get(owner) ?? 0) + delta);
    total += delta;
  });
  const top = (map: Map<string, number>, count: number) =>
    [...map.entries()]
      .sort((a, b) => b[1] - a[1])
      .slice(0, count)
      .map(([key, us]) => `  ${((us / total) * 100).toFixed(1).padStart(5)}%  ${key}`);
  return [...top(selfUs, limit), '  by package:', ...top(byOwner, 10)].join('\n');
}
