import { html, type SafeHtml } from '#src/lib/html.ts';
import {
  DEFAULT_API_TOKEN_SCOPES,
  type ApiToken,
  type ApiTokenScope,
} from '#src/modules/accounts/index.ts';
import {
  badge,
  button,
  card,
  checkboxField,
  copyButton,
  emptyState,
  errorSummary,
  formField,
  pageHeader,
  postForm,
  table,
  timestamp,
  type FieldError,
} from './components.ts';

const SCOPE_HINTS: Readonly<Record<ApiTokenScope, string>> = {
  'links:read': 'List your links and read their statistics.',
  'links:write': 'Create, change and delete your links.',
};

export interface TokensPageOptions {
  readonly csrfToken: string;
  readonly tokens: readonly ApiToken[];
  readonly scopes: readonly ApiTokenScope[];
  /** A token just created: the only time its secret is shown. */
  readonly created?: { readonly token: string; readonly apiToken: ApiToken };
  readonly values?: { readonly name?: string; readonly scopes?: readonly string[] };
  readonly errors?: readonly FieldError[];
}

function createdNotice(created: NonNullable<TokensPageOptions['created']>): SafeHtml {
  return card({
    title: `Your new token “${created.apiToken.name}”`,
    className: 'token-created',
    body: html`<p role="status"><strong>Copy it now: it will not be shown again.</strong> We keep only a fingerprint of it, so nobody (us included) can show it to you later.</p>
<p class="token-secret"><code>${created.token}</code> ${copyButton(created.token, { context: 'the new API token' })}</p>
<p>Send it as <code>Authorization: Bearer &lt;token&gt;</code>.</p>`,
  });
}

function tokensTable(tokens: readonly ApiToken[], csrfToken: string): SafeHtml {
  if (tokens.length === 0) {
    return emptyState({
      title: 'No API tokens yet',
      body: 'Create one below to use the API from a script.',
    });
  }
  return table({
    caption: 'Your API tokens',
    columns: [
      { label: 'Name' },
      { label: 'Token' },
      { label: 'Scopes' },
      { label: 'Created' },
      { label: 'Last used' },
      { label: 'Status' },
      { label: 'Actions', hiddenLabel: true },
    ],
    rows: tokens.map((token) => [
      token.name,
      html`<code>${token.prefix}…</code>`,
      token.scopes.join(', '),
      timestamp(token.createdAt),
      token.lastUsedAt ? timestamp(token.lastUsedAt) : 'Never',
      token.revokedAt
        ? html`${badge('Revoked', 'danger')} ${timestamp(token.revokedAt)}`
        : badge('Active', 'success'),
      token.revokedAt
        ? ''
        : postForm({
            action: `/settings/tokens/${token.id}/revoke`,
            csrfToken,
            className: 'inline-form',
            body: button({
              label: html`Revoke<span class="visually-hidden"> ${token.name}</span>`,
              variant: 'danger',
              small: true,
            }),
          }),
    ]),
  });
}

/** /settings/tokens: the list, the create form, and a just-created token shown once. */
export function tokensPage(options: TokensPageOptions): SafeHtml {
  const errors = options.errors ?? [];
  const chosen: readonly string[] = options.values?.scopes ?? DEFAULT_API_TOKEN_SCOPES;
  const messageFor = (field: string) =>
    errors
      .filter((error) => error.field === field)
      .map((error) => error.message)
      .join(' ') || undefined;
  const scopeError = messageFor('scopes');
  return html`${pageHeader({
    title: 'API tokens',
    lead: 'Personal tokens let scripts use the API as you. Treat them like passwords.',
  })}${options.created ? createdNotice(options.created) : ''}${tokensTable(
    options.tokens,
    options.csrfToken,
  )}${card({
    title: 'Create a token',
    body: html`${errorSummary(errors)}${postForm({
      action: '/settings/tokens',
      csrfToken: options.csrfToken,
      noValidate: true,
      body: html`${formField({
        label: 'Name',
        name: 'name',
        value: options.values?.name,
        hint: 'What uses it, e.g. “deploy script”, so you know which one to revoke.',
        error: messageFor('name'),
        maxlength: 100,
        autocomplete: 'off',
        required: true,
      })}<fieldset class="fieldset"${scopeError ? html` aria-describedby="field-scopes-error"` : ''}>
<legend>Scopes</legend>
${scopeError ? html`<p class="field-error" id="field-scopes-error"><span class="visually-hidden">Error: </span>${scopeError}</p>` : ''}
${options.scopes.map((scope) =>
  checkboxField({
    label: scope,
    name: 'scopes',
    id: `field-scopes-${scope.replace(':', '-')}`,
    value: scope,
    checked: chosen.includes(scope),
    hint: SCOPE_HINTS[scope],
  }),
)}
</fieldset>${button({ label: 'Create token' })}`,
    })}`,
  })}`;
}
