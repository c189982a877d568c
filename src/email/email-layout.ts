import { html, type SafeHtml } from '#src/lib/html.ts';
import type { EmailMessage } from './email-sender.ts';

/** Part of a paragraph: words, or a value that stands out (bold in HTML, as typed in text). */
export type Inline = string | { readonly strong: string };

/**
 * A paragraph, or a link on a line of its own after an optional lead-in: a URL alone on its line
 * is one a person can copy whole and a mail client will not break.
 */
export type EmailBlock =
  { readonly paragraph: readonly Inline[] } | { readonly link: string; readonly lead?: string };

export interface EmailContent {
  readonly to: string;
  readonly subject: string;
  /** Greeted by name in the first line; null for someone without an account yet (an invitee). */
  readonly username: string | null;
  readonly blocks: readonly EmailBlock[];
}

/** Plain-text paragraphs wrap here (RFC 5322 recommends lines under 78 characters). */
const TEXT_WIDTH = 76;

function plain(inline: Inline): string {
  return typeof inline === 'string' ? inline : inline.strong;
}

/** Word-wraps a paragraph; a word longer than the width (a URL) keeps a line to itself. */
export function wrapText(text: string, width = TEXT_WIDTH): string {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(/\s+/).filter(Boolean)) {
    if (line && line.length + 1 + word.length > width) {
      lines.push(line);
      line = word;
    } else {
      line = line ? `${line} ${word}` : word;
    }
  }
  if (line) lines.push(line);
  return lines.join('\n');
}

function textBlock(block: EmailBlock): string {
  if ('paragraph' in block) return wrapText(block.paragraph.map(plain).join(''));
  return block.lead ? `${wrapText(block.lead)}\n${block.link}` : block.link;
}

function htmlBlock(block: EmailBlock): SafeHtml {
  if ('paragraph' in block) {
    const parts = block.paragraph.map((inline) =>
      typeof inline === 'string' ? html`${inline}` : html`<strong>${inline.strong}</strong>`,
    );
    return html`<p>${parts}</p>`;
  }
  const anchor = html`<a href="${block.link}">${block.link}</a>`;
  return block.lead ? html`<p>${block.lead}<br />${anchor}</p>` : html`<p>${anchor}</p>`;
}

/**
 * Every account email in one shell: a greeting, the blocks, the same words in the plain-text
 * and the HTML part (escaped by the `html` template, so nothing interpolated becomes markup).
 */
export function composeEmail(content: EmailContent): EmailMessage {
  const greeting = content.username === null ? 'Hello,' : `Hello ${content.username},`;
  const text = [greeting, ...content.blocks.map(textBlock)].join('\n\n') + '\n';
  const body = html`<!doctype html>
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <title>${content.subject}</title>
      </head>
      <body style="font-family: system-ui, sans-serif; line-height: 1.5; max-width: 40em">
        <p>${greeting}</p>
        ${content.blocks.map(htmlBlock)}
      </body>
    </html> `;
  return { to: content.to, subject: content.subject, text, html: body.value };
}
