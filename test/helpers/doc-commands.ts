import { readFileSync } from 'node:fs';

/** A fenced code block of a Markdown document, as an operator would copy it. */
export interface MarkedBlock {
  /** The fence's info string (`sh`, `yaml`, …); empty when the fence names none. */
  readonly language: string;
  /** The lines between the fences, with a final newline. */
  readonly body: string;
}

const MARKER_NAME = /^[a-z0-9:_-]+$/;

/**
 * The fenced block right after `<!-- NAME -->` (blank lines between them allowed). Throws when
 * the marker is missing, appears twice, or is followed by anything but a fenced block, so a doc
 * edit that detaches a tested command fails its test instead of silently testing nothing.
 */
export function markedBlock(markdown: string, name: string): MarkedBlock {
  if (!MARKER_NAME.test(name)) throw new Error(`not a marker name: ${name}`);
  const marker = `<!-- ${name} -->`;
  const lines = markdown.split(/\r?\n/);
  const at = lines.flatMap((line, index) => (line.trim() === marker ? [index] : []));
  if (at.length === 0) throw new Error(`no ${marker} in the document`);
  if (at.length > 1) throw new Error(`${marker} appears ${String(at.length)} times`);

  let index = at[0]! + 1;
  while (index < lines.length && lines[index]!.trim() === '') index += 1;
  const opening = /^(`{3,}|~{3,})\s*([^`\s]*)\s*$/.exec(lines[index] ?? '');
  if (!opening) throw new Error(`${marker} is not followed by a fenced code block`);
  const fence = opening[1]!;
  const body: string[] = [];
  for (index += 1; index < lines.length; index += 1) {
    const line = lines[index]!;
    // A closing fence is at least as long as the opening one, of the same character.
    if (line.trim().startsWith(fence) && /^(`+|~+)$/.test(line.trim())) {
      return { language: opening[2] ?? '', body: body.map((text) => `${text}\n`).join('') };
    }
    body.push(line);
  }
  throw new Error(`the code block after ${marker} is never closed`);
}

/** `markedBlock` of a Markdown file. */
export function readMarkedBlock(path: string, name: string): MarkedBlock {
  return markedBlock(readFileSync(path, 'utf8'), name);
}
