/**
 * The characters no text input may carry, wherever it comes from (a form, the API, a query
 * string, a route param, the command line):
 * - U+0000: PostgreSQL's `text` cannot store it; the insert or query fails, a 500 for the user;
 * - an unpaired surrogate (U+D800–U+DFFF not in a pair, which only JSON escapes can produce):
 *   UTF-8 cannot encode it, so the driver would quietly store U+FFFD instead of what was sent;
 * - every other C0 control but TAB, LF and CR, DEL and the C1 controls (U+0080–U+009F): storable,
 *   but no keyboard types them, and in a field they are garbage or an attack on whatever shows
 *   the field later (terminal escapes in a CLI listing, a forged log line);
 * - U+FFFE and U+FFFF: noncharacters, never text.
 * TAB, LF and CR stay allowed everywhere: textareas and pasted text carry them, and a field that
 * must be one line says so in its own rules.
 */
export function forbiddenCharacterIn(text: string): string | null {
  for (let index = 0; index < text.length; index += 1) {
    const unit = text.charCodeAt(index);
    if (unit >= 0x20 && unit < 0x7f) continue;
    if (unit === 0x09 || unit === 0x0a || unit === 0x0d) continue;
    if (unit < 0x20 || (unit >= 0x7f && unit <= 0x9f)) {
      return `a control character (${codePointName(unit)})`;
    }
    if (unit === 0xfffe || unit === 0xffff) return `a noncharacter (${codePointName(unit)})`;
    if (unit >= 0xd800 && unit <= 0xdbff) {
      const low = text.charCodeAt(index + 1);
      if (low >= 0xdc00 && low <= 0xdfff) {
        index += 1;
        continue;
      }
      return `an unpaired surrogate (${codePointName(unit)})`;
    }
    if (unit >= 0xdc00 && unit <= 0xdfff) return `an unpaired surrogate (${codePointName(unit)})`;
  }
  return null;
}

/** Why `text` is refused, as the end of a sentence naming the field; null when it is fine. */
export function forbiddenCharacterProblem(text: string): string | null {
  const found = forbiddenCharacterIn(text);
  return found === null ? null : `contains ${found}, which is not accepted`;
}

/** `\u0000`-style escapes for the forbidden characters, to name a field without printing them. */
export function escapeForbiddenCharacters(text: string): string {
  let escaped = '';
  // By code point: a pair stays whole, and every forbidden character is a single code unit.
  for (const char of text) {
    escaped +=
      forbiddenCharacterIn(char) === null
        ? char
        : `\\u${char.charCodeAt(0).toString(16).padStart(4, '0')}`;
  }
  return escaped;
}

function codePointName(unit: number): string {
  return `U+${unit.toString(16).toUpperCase().padStart(4, '0')}`;
}
