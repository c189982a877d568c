import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { html } from '#src/lib/html.ts';
import { assertCspSafe } from '#test/helpers/html-assertions.ts';
import {
  checkboxField,
  copyButton,
  errorSummary,
  errorsByField,
  formField,
  pagination,
  selectField,
  table,
  textareaField,
} from './components.ts';

describe('view components', () => {
  test('formField ties the label, hint and error to the input', () => {
    const field = formField({
      label: 'Long URL',
      name: 'url',
      type: 'url',
      value: '"><script>alert(1)</script>',
      hint: 'Starting with https://',
      error: 'Enter an http or https address.',
      required: true,
    }).value;
    assert.match(field, /<label for="field-url">Long URL<\/label>/);
    assert.match(field, /<p class="hint" id="field-url-hint">Starting with https:\/\/<\/p>/);
    assert.match(
      field,
      /<p class="field-error" id="field-url-error"><span class="visually-hidden">Error: <\/span>Enter an http or https address\.<\/p>/,
    );
    assert.match(
      field,
      /<input id="field-url" name="url" type="url" value="&quot;&gt;&lt;script&gt;/,
    );
    assert.match(
      field,
      / required aria-describedby="field-url-hint field-url-error" aria-invalid="true">/,
    );
    assert.doesNotMatch(field, /<script>/);
  });

  test('a field without error is not marked invalid; a password is never echoed', () => {
    const field = formField({
      label: 'Password',
      name: 'password',
      type: 'password',
      value: 'hunter2',
    }).value;
    assert.doesNotMatch(field, /aria-invalid|aria-describedby|hunter2/);
    assert.match(field, /<input id="field-password" name="password" type="password">/);
  });

  test('select, checkbox and textarea use the same wiring', () => {
    const select = selectField({
      label: 'Redirect status',
      name: 'redirectStatus',
      value: 302,
      error: 'Pick one.',
      options: [
        { value: '301', label: '301' },
        { value: '302', label: '302' },
      ],
    }).value;
    assert.match(select, /<option value="302" selected>302<\/option>/);
    assert.match(select, /<option value="301">301<\/option>/);
    assert.match(select, /aria-describedby="field-redirectStatus-error" aria-invalid="true"/);
    const checkbox = checkboxField({ label: 'Disabled', name: 'disabled', checked: true }).value;
    assert.match(
      checkbox,
      /<input id="field-disabled" name="disabled" type="checkbox" value="1" checked>/,
    );
    const area = textareaField({ label: 'Notes', name: 'notes', value: '</textarea><b>' }).value;
    assert.match(
      area,
      /<textarea id="field-notes" name="notes" rows="4">&lt;\/textarea&gt;&lt;b&gt;<\/textarea>/,
    );
  });

  test('errorSummary links each error to its field; empty without errors', () => {
    const errors = [
      { field: 'url', message: 'Enter an address.' },
      { message: 'Try again <later>.' },
    ];
    const summary = errorSummary(errors).value;
    assert.match(summary, /<div class="error-summary" role="alert" tabindex="-1">/);
    assert.match(summary, /<li><a href="#field-url">Enter an address\.<\/a><\/li>/);
    assert.match(summary, /<li>Try again &lt;later&gt;\.<\/li>/);
    assert.equal(errorSummary([]).value, '');
    assert.deepEqual(errorsByField([...errors, { field: 'url', message: 'second' }]), {
      url: 'Enter an address.',
    });
  });

  test('copyButton escapes its text into data-copy and hides until JavaScript runs', () => {
    const button = copyButton('https://hop.example/a"b').value;
    assert.match(
      button,
      /^<button type="button" class="[^"]*copy-button needs-js" data-copy="https:\/\/hop\.example\/a&quot;b">/,
    );
    assert.match(button, /<span data-copy-label>Copy<\/span>/);
    assertCspSafe(button);
  });

  test('pagination renders only the links it has', () => {
    assert.equal(pagination({}).value, '');
    const older = pagination({ olderHref: '/links?cursor=abc&x=1' }).value;
    assert.match(older, /href="\/links\?cursor=abc&amp;x=1" rel="next">Older →/);
    assert.doesNotMatch(older, /Newer/);
  });

  test('table: a captioned, scrollable region; numeric columns aligned; cells escaped', () => {
    const markup = table({
      caption: 'Your links',
      columns: [{ label: 'Code' }, { label: 'Clicks', numeric: true }],
      rows: [
        ['<b>', 12],
        [html`<a href="/links/1">x</a>`, 3],
      ],
    }).value;
    assert.match(
      markup,
      /<div class="table-wrap" role="region" aria-label="Your links" tabindex="0">/,
    );
    assert.match(markup, /<th scope="col" class="numeric">Clicks<\/th>/);
    assert.match(markup, /<td>&lt;b&gt;<\/td><td class="numeric">12<\/td>/);
    assert.match(markup, /<td><a href="\/links\/1">x<\/a><\/td>/);
  });
});
