import type { RawClick } from './click-sink.ts';
import { createClientInfoCache, dailySalt, parseClick } from './click-parsing.ts';
import type { ClicksRepository } from './clicks.repository.ts';
import type { ClickIpMode } from './ip-address.ts';

export interface ClickWriterDependencies {
  readonly repository: Pick<ClicksRepository, 'insertMany'>;
  readonly ipMode: ClickIpMode;
  /** SECRET_KEY, from which each day's visitor salt is derived. */
  readonly secretKey: { reveal(): string };
}

/** Parses raw clicks (at write time, never in the request) and stores them idempotently. */
export function createClickWriter(deps: ClickWriterDependencies) {
  const salts = new Map<string, Buffer>();
  const clientOf = createClientInfoCache();
  function saltOf(day: string): Buffer {
    let salt = salts.get(day);
    if (!salt) {
      // Batches span a day or two at most; keep the map from growing with uptime.
      if (salts.size >= 4) salts.clear();
      salt = dailySalt(deps.secretKey.reveal(), day);
      salts.set(day, salt);
    }
    return salt;
  }
  return {
    /** Returns how many clicks were new. An arrow, so it can be handed to the sink as is. */
    write: async (clicks: readonly RawClick[]): Promise<number> => {
      const rows = clicks.map((click) =>
        parseClick(click, { ipMode: deps.ipMode, saltOf, clientOf }),
      );
      return deps.repository.insertMany(rows);
    },
  };
}

export type ClickWriter = ReturnType<typeof createClickWriter>;
