import { randomBytes } from 'node:crypto';

/**
 * Event ids for clicks, cheap enough for the redirect: a UUIDv8 (RFC 9562's custom layout)
 * made of 60 random bits drawn once per process and a 62-bit counter. Unique across processes
 * (the random part) and within one (the counter), so the insert's ON CONFLICT (event_id) still
 * recognises a redelivered batch; a per-request randomUUID() cost a CSPRNG read and 36 bytes of
 * fresh string on every hop.
 */
export function createClickEventIds(seed: Buffer = randomBytes(8)): () => string {
  const hex = seed.toString('hex');
  // xxxxxxxx-xxxx-8xxx-: 48 + 12 random bits around the version nibble.
  const prefix = `${hex.slice(0, 8)}-${hex.slice(8, 12)}-8${hex.slice(12, 15)}-`;
  let counter = 0;
  return () => {
    counter += 1;
    // 15 hex digits (60 bits) cover every safe integer; the variant nibble 8 (0b10xx) leads.
    const digits = counter.toString(16).padStart(15, '0');
    return `${prefix}8${digits.slice(0, 3)}-${digits.slice(3)}`;
  };
}
