/**
 * Reusable pieces for server-rendered views. Every text argument is escaped (through `html`);
 * arguments typed SafeHtml are markup a view built. Nothing here emits a style attribute or an
 * inline script: the CSP forbids both, so visual variation is done with classes.
 */
import { html, raw, type SafeHtml } from '#src/lib/html.ts';

/** Text or markup a view built; text is escaped. */
export type Content = SafeHtml | string | number;

/** A field error as ValidationError details carry it; no `field` means the whole form. */
export interface FieldError {
  readonly field?: string;
  readonly message: string;
}

type AttributeValue = string | number | boolean | null | undefined;

/** Renders attributes: `true` → bare attribute, false/null/undefined → omitted, values escaped. */
export function attributes(values: Readonly<Record<string, AttributeValue>>): SafeHtml {
  const parts = Object.entries(values).flatMap(([name, value]) => {
    if (value === undefined || value === null || value === false) return [];
    return value === true ? [html` ${raw(name)}`] : [html` ${raw(name)}="${String(value)}"`];
  });
  return html`${parts}`;
}

/** The id formField gives a field's control; error summaries link to it. */
export function fieldId(name: string): string {
  return `field-${name.replace(/[^A-Za-z0-9_-]/g, '-')}`;
}

/** The first message for each field, for passing `error:` to formField. */
export function errorsByField(errors: readonly FieldError[] = []): Record<string, string> {
  const byField: Record<string, string> = {};
  for (const error of errors) {
    if (error.field !== undefined && !(error.field in byField))
      byField[error.field] = error.message;
  }
  return byField;
}

interface FieldBase {
  readonly label: string;
  readonly name: string;
  /** Defaults to fieldId(name). */
  readonly id?: string;
  readonly error?: string | undefined;
  readonly hint?: Content;
  readonly required?: boolean;
  /** Adds "(optional)" to the label. */
  readonly optional?: boolean;
}

/** Label text, hint and error shared by every field kind, with the ids aria-describedby needs. */
function fieldParts(options: FieldBase) {
  const id = options.id ?? fieldId(options.name);
  const hintId = options.hint === undefined ? undefined : `${id}-hint`;
  const errorId = options.error ? `${id}-error` : undefined;
  const describedBy = [hintId, errorId].filter(Boolean).join(' ') || undefined;
  return {
    id,
    label: html`${options.label}${options.optional ? html` <span class="optional">(optional)</span>` : ''}`,
    hint: hintId ? html`<p class="hint" id="${hintId}">${options.hint}</p>` : '',
    error: errorId
      ? html`<p class="field-error" id="${errorId}"><span class="visually-hidden">Error: </span>${options.error}</p>`
      : '',
    aria: { 'aria-describedby': describedBy, 'aria-invalid': options.error ? 'true' : undefined },
  };
}

export interface FieldOptions extends FieldBase {
  readonly type?:
    'text' | 'email' | 'password' | 'url' | 'number' | 'search' | 'tel' | 'date' | 'datetime-local';
  /** Never rendered for passwords: a password is not sent back to the browser. */
  readonly value?: string | number | null;
  readonly autocomplete?: string;
  readonly placeholder?: string;
  readonly inputmode?: 'text' | 'email' | 'url' | 'numeric' | 'decimal' | 'search' | 'tel';
  readonly pattern?: string;
  readonly minlength?: number;
  readonly maxlength?: number;
  readonly min?: string | number;
  readonly max?: string | number;
  readonly autofocus?: boolean;
  readonly spellcheck?: boolean;
  readonly autocapitalize?: 'none' | 'off' | 'sentences' | 'words';
  readonly readonly?: boolean;
}

/** A labelled input with its hint and error tied by aria-describedby, aria-invalid on error. */
export function formField(options: FieldOptions): SafeHtml {
  const parts = fieldParts(options);
  const type = options.type ?? 'text';
  const input = attributes({
    id: parts.id,
    name: options.name,
    type,
    value: type === 'password' ? undefined : (options.value ?? undefined),
    autocomplete: options.autocomplete,
    placeholder: options.placeholder,
    inputmode: options.inputmode,
    pattern: options.pattern,
    minlength: options.minlength,
    maxlength: options.maxlength,
    min: options.min,
    max: options.max,
    required: options.required,
    autofocus: options.autofocus,
    readonly: options.readonly,
    spellcheck: options.spellcheck === undefined ? undefined : String(options.spellcheck),
    autocapitalize: options.autocapitalize,
    ...parts.aria,
  });
  return html`<div class="field"><label for="${parts.id}">${parts.label}</label>${parts.hint}${parts.error}<input${input}></div>`;
}

export interface TextareaOptions extends FieldBase {
  readonly value?: string | null;
  readonly rows?: number;
  readonly maxlength?: number;
}

/** A labelled multi-line text field (same hint/error wiring as formField). */
export function textareaField(options: TextareaOptions): SafeHtml {
  const parts = fieldParts(options);
  const attrs = attributes({
    id: parts.id,
    name: options.name,
    rows: options.rows ?? 4,
    maxlength: options.maxlength,
    required: options.required,
    ...parts.aria,
  });
  return html`<div class="field"><label for="${parts.id}">${parts.label}</label>${parts.hint}${parts.error}<textarea${attrs}>${options.value ?? ''}</textarea></div>`;
}

export interface SelectOptions extends FieldBase {
  readonly options: readonly { readonly value: string; readonly label: string }[];
  readonly value?: string | number | null;
}

/** A labelled <select>; the option whose value equals `value` is selected. */
export function selectField(options: SelectOptions): SafeHtml {
  const parts = fieldParts(options);
  const selected =
    options.value === undefined || options.value === null ? undefined : String(options.value);
  const attrs = attributes({
    id: parts.id,
    name: options.name,
    required: options.required,
    ...parts.aria,
  });
  return html`<div class="field"><label for="${parts.id}">${parts.label}</label>${parts.hint}${parts.error}<select${attrs}>${options.options.map(
    (option) =>
      html`<option${attributes({ value: option.value, selected: option.value === selected })}>${option.label}</option>`,
  )}</select></div>`;
}

export interface CheckboxOptions extends Omit<FieldBase, 'optional'> {
  readonly checked?: boolean;
  /** Submitted when checked; defaults to "1". */
  readonly value?: string;
}

/** A checkbox with its label beside it (hint and error wired like formField). */
export function checkboxField(options: CheckboxOptions): SafeHtml {
  const parts = fieldParts(options);
  const attrs = attributes({
    id: parts.id,
    name: options.name,
    type: 'checkbox',
    value: options.value ?? '1',
    checked: options.checked,
    required: options.required,
    ...parts.aria,
  });
  return html`<div class="field checkbox"><input${attrs}><div><label for="${parts.id}">${parts.label}</label>${parts.hint}${parts.error}</div></div>`;
}

/** The problems with a submitted form, each linking to its field; empty when there are none. */
export function errorSummary(
  errors: readonly FieldError[] | undefined,
  title = 'There is a problem',
): SafeHtml {
  if (!errors || errors.length === 0) return html``;
  const items = errors.map(
    (error) =>
      html`<li>${error.field === undefined ? error.message : html`<a href="#${fieldId(error.field)}">${error.message}</a>`}</li>`,
  );
  return html`<div class="error-summary" role="alert" tabindex="-1"><h2>${title}</h2><ul>${items}</ul></div>`;
}

/** The hidden CSRF field every POST form carries. */
export function csrfField(token: string): SafeHtml {
  return html`<input type="hidden" name="_csrf" value="${token}">`;
}

export type ButtonVariant = 'primary' | 'secondary' | 'danger' | 'link';

export interface ButtonOptions {
  readonly label: Content;
  readonly type?: 'submit' | 'button' | 'reset';
  readonly variant?: ButtonVariant;
  readonly small?: boolean;
  readonly name?: string;
  readonly value?: string;
  readonly disabled?: boolean;
  /** Extra classes, space-separated. */
  readonly className?: string;
}

function buttonClasses(variant: ButtonVariant, small: boolean | undefined, extra?: string): string {
  return ['button', `button-${variant}`, small ? 'button-small' : '', extra ?? '']
    .filter(Boolean)
    .join(' ');
}

/** A <button> in one of the house styles (submit and primary unless told otherwise). */
export function button(options: ButtonOptions): SafeHtml {
  const attrs = attributes({
    type: options.type ?? 'submit',
    class: buttonClasses(options.variant ?? 'primary', options.small, options.className),
    name: options.name,
    value: options.value,
    disabled: options.disabled,
  });
  return html`<button${attrs}>${options.label}</button>`;
}

/** A link that looks like a button (navigation, not an action). */
export function linkButton(options: {
  readonly href: string;
  readonly label: Content;
  readonly variant?: ButtonVariant;
  readonly small?: boolean;
}): SafeHtml {
  const classes = buttonClasses(options.variant ?? 'secondary', options.small);
  return html`<a class="${classes}" href="${options.href}">${options.label}</a>`;
}

/** A POST form with its CSRF field: `body` holds the fields and buttons. */
export function postForm(options: {
  readonly action: string;
  readonly csrfToken: string;
  readonly body: Content;
  readonly className?: string;
  /** Adds novalidate so the server's messages show instead of the browser's bubbles. */
  readonly noValidate?: boolean;
}): SafeHtml {
  const attrs = attributes({
    method: 'post',
    action: options.action,
    class: options.className ?? 'form',
    novalidate: options.noValidate,
  });
  return html`<form${attrs}>${csrfField(options.csrfToken)}${options.body}</form>`;
}

/** Newer/older links for cursor pagination; empty when there is neither. */
export function pagination({
  newerHref,
  olderHref,
}: {
  readonly newerHref?: string | null;
  readonly olderHref?: string | null;
}): SafeHtml {
  if (!newerHref && !olderHref) return html``;
  const newer = newerHref
    ? html`<a class="button button-secondary newer" href="${newerHref}" rel="prev">← Newer</a>`
    : '';
  const older = olderHref
    ? html`<a class="button button-secondary older" href="${olderHref}" rel="next">Older →</a>`
    : '';
  return html`<nav class="pagination" aria-label="Pagination">${newer}${older}</nav>`;
}

const COPY_ICON = raw(
  '<svg viewBox="0 0 24 24" aria-hidden="true" focusable="false"><rect x="8" y="8" width="12" height="12" rx="2" fill="none" stroke="currentColor" stroke-width="2"/><path d="M16 8V6a2 2 0 0 0-2-2H6a2 2 0 0 0-2 2v8a2 2 0 0 0 2 2h2" fill="none" stroke="currentColor" stroke-width="2"/></svg>',
);

/**
 * A button copying `text` to the clipboard (app.js; hidden without JavaScript). `context` names
 * what is copied for screen readers, e.g. the short URL, when several buttons share a page.
 */
export function copyButton(text: string, { label = 'Copy', context = text } = {}): SafeHtml {
  return html`<button type="button" class="button button-secondary button-small copy-button needs-js" data-copy="${text}">${COPY_ICON}<span data-copy-label>${label}</span><span class="visually-hidden"> ${context}</span></button>`;
}

/** A short URL as a link with its copy button. */
export function shortUrl(url: string): SafeHtml {
  return html`<div class="short-url"><a href="${url}">${url}</a>${copyButton(url)}</div>`;
}

/** What a list shows when it has nothing yet, with an optional call to action. */
export function emptyState(options: {
  readonly title: string;
  readonly body?: Content;
  readonly action?: { readonly href: string; readonly label: string };
}): SafeHtml {
  const body = options.body === undefined ? '' : html`<p>${options.body}</p>`;
  const action = options.action ? linkButton({ ...options.action, variant: 'primary' }) : '';
  return html`<div class="empty-state"><h2>${options.title}</h2>${body}${action}</div>`;
}

/** A bordered panel, optionally titled (h2 by default), with an optional footer. */
export function card(options: {
  readonly title?: string;
  readonly body: Content;
  readonly footer?: Content;
  readonly headingLevel?: 2 | 3;
  readonly className?: string;
}): SafeHtml {
  const heading =
    options.title === undefined
      ? ''
      : options.headingLevel === 3
        ? html`<h3 class="card-title">${options.title}</h3>`
        : html`<h2 class="card-title">${options.title}</h2>`;
  const classes = ['card', options.className ?? ''].filter(Boolean).join(' ');
  const footer =
    options.footer === undefined ? '' : html`<div class="card-footer">${options.footer}</div>`;
  return html`<section class="${classes}">${heading}${options.body}${footer}</section>`;
}

/** A headline number in a card (put several in a `<div class="grid grid-stats">`). */
export function statCard(options: { readonly label: string; readonly value: Content }): SafeHtml {
  return html`<div class="card"><dl class="stat"><dt>${options.label}</dt><dd>${options.value}</dd></dl></div>`;
}

/** A labelled share of a total drawn with <progress> (no style attribute needed). */
export function proportionBar(options: {
  readonly label: Content;
  readonly value: number;
  readonly max: number;
}): SafeHtml {
  const max = Math.max(options.max, 1);
  return html`<div class="bar-row"><span class="bar-label">${options.label}</span><span class="bar-value">${options.value}</span><progress class="bar" value="${options.value}" max="${max}" aria-hidden="true"></progress></div>`;
}

export interface TableColumn {
  readonly label: string;
  /** Right-aligned, tabular figures. */
  readonly numeric?: boolean;
  /** Read by screen readers only (e.g. an actions column). */
  readonly hiddenLabel?: boolean;
}

/**
 * A data table in a horizontally scrollable, keyboard-focusable wrapper. Cells are escaped
 * unless they are SafeHtml; the caption names the region.
 */
export function table(options: {
  readonly caption: string;
  readonly captionHidden?: boolean;
  readonly columns: readonly TableColumn[];
  readonly rows: readonly (readonly Content[])[];
}): SafeHtml {
  const { columns } = options;
  const cellClass = (index: number) => (columns[index]?.numeric ? raw(' class="numeric"') : '');
  return html`<div class="table-wrap" role="region" aria-label="${options.caption}" tabindex="0"><table><caption${options.captionHidden ? raw(' class="visually-hidden"') : ''}>${options.caption}</caption><thead><tr>${columns.map(
    (column, index) =>
      html`<th scope="col"${cellClass(index)}>${column.hiddenLabel ? html`<span class="visually-hidden">${column.label}</span>` : column.label}</th>`,
  )}</tr></thead><tbody>${options.rows.map(
    (row) => html`<tr>${row.map((cell, index) => html`<td${cellClass(index)}>${cell}</td>`)}</tr>`,
  )}</tbody></table></div>`;
}

/** The page's h1 with an optional lead sentence and actions (buttons, links) beside it. */
export function pageHeader(options: {
  readonly title: string;
  readonly lead?: Content;
  readonly actions?: SafeHtml;
}): SafeHtml {
  const lead = options.lead === undefined ? '' : html`<div class="lead">${options.lead}</div>`;
  const actions = options.actions ? html`<div class="cluster">${options.actions}</div>` : '';
  return html`<div class="page-header"><div><h1>${options.title}</h1>${lead}</div>${actions}</div>`;
}

/** A small status label: neutral, success or danger. */
export function badge(text: string, kind: 'neutral' | 'success' | 'danger' = 'neutral'): SafeHtml {
  return html`<span class="badge${kind === 'neutral' ? '' : ` badge-${kind}`}">${text}</span>`;
}

/** A date as `<time>`: machine-readable ISO in the attribute, `YYYY-MM-DD HH:MM UTC` shown. */
export function timestamp(date: Date): SafeHtml {
  const iso = date.toISOString();
  return html`<time datetime="${iso}">${iso.slice(0, 10)} ${iso.slice(11, 16)} UTC</time>`;
}
