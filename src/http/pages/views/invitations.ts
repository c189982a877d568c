import { html, type SafeHtml } from '#src/lib/html.ts';
import type { Invitation, InvitationStatus } from '#src/modules/accounts/index.ts';
import {
  badge,
  button,
  card,
  emptyState,
  errorsByField,
  errorSummary,
  formField,
  pageHeader,
  postForm,
  table,
  timestamp,
  type FieldError,
} from './components.ts';

const STATUS_BADGES: Readonly<Record<InvitationStatus, 'neutral' | 'success' | 'danger'>> = {
  pending: 'neutral',
  used: 'success',
  expired: 'danger',
  revoked: 'danger',
};

export interface InvitationsPageOptions {
  readonly csrfToken: string;
  /** ADMIN_PATH, for the forms' actions. */
  readonly adminPath: string;
  readonly invitations: readonly Invitation[];
  /** How many the list shows at most (the newest). */
  readonly listed: number;
  /** INVITATION_TTL, said in the page's lead. */
  readonly validForMs: number;
  readonly values?: { readonly email?: string };
  readonly errors?: readonly FieldError[];
}

/** Where an invitation's Revoke form posts. */
export function revokeInvitationAction(adminPath: string, id: string): string {
  return `${adminPath}/invitations/${id}/revoke`;
}

/** `7 days`, `24 hours`, `90 minutes`: a whole number of the largest unit that fits. */
function inWords(ms: number): string {
  for (const [unit, factor] of [
    ['day', 86_400_000],
    ['hour', 3_600_000],
    ['minute', 60_000],
    ['second', 1000],
  ] as const) {
    if (ms >= factor && ms % factor === 0) {
      const count = ms / factor;
      return `${count} ${unit}${count === 1 ? '' : 's'}`;
    }
  }
  return `${ms} ms`;
}

function who(invitation: Invitation): string {
  return invitation.invitedBy ?? 'command line';
}

function invitationsTable(options: InvitationsPageOptions): SafeHtml {
  if (options.invitations.length === 0) {
    return emptyState({
      title: 'No invitations yet',
      body: 'Invite someone above: they get a link to create their account.',
    });
  }
  const shown =
    options.invitations.length >= options.listed
      ? html`<p class="hint">The newest ${options.listed} invitations.</p>`
      : '';
  return html`${shown}${table({
    caption: 'Invitations, newest first',
    columns: [
      { label: 'Email address' },
      { label: 'Status' },
      { label: 'Invited by' },
      { label: 'Sent' },
      { label: 'Expires' },
      { label: 'Actions', hiddenLabel: true },
    ],
    rows: options.invitations.map((invitation) => [
      invitation.email,
      html`${badge(invitation.status, STATUS_BADGES[invitation.status])}${
        invitation.usedBy ? html` by ${invitation.usedBy}` : ''
      }`,
      who(invitation),
      timestamp(invitation.createdAt),
      timestamp(invitation.expiresAt),
      invitation.status === 'pending'
        ? postForm({
            action: revokeInvitationAction(options.adminPath, invitation.id),
            csrfToken: options.csrfToken,
            className: 'inline-form',
            body: button({
              label: html`Revoke<span class="visually-hidden"> the invitation to ${invitation.email}</span>`,
              variant: 'danger',
              small: true,
            }),
          })
        : '',
    ]),
  })}`;
}

/**
 * ADMIN_PATH/invitations: invite an address (a single-use link by email), and the newest
 * invitations with their status; a pending one can be revoked. Never a token: only the invitee's
 * email holds it.
 */
export function invitationsPage(options: InvitationsPageOptions): SafeHtml {
  const errors = options.errors ?? [];
  return html`${pageHeader({
    title: 'Invitations',
    lead: `An invitation emails a link that creates one account for that address. It works once, for ${inWords(options.validForMs)}; inviting the same address again replaces a pending invitation.`,
  })}${card({
    title: 'Invite someone',
    body: html`${errorSummary(errors)}${postForm({
      action: `${options.adminPath}/invitations`,
      csrfToken: options.csrfToken,
      noValidate: true,
      className: 'inline-form',
      body: html`${formField({
        label: 'Email address',
        name: 'email',
        type: 'email',
        value: options.values?.email,
        autocomplete: 'off',
        spellcheck: false,
        error: errorsByField(errors).email,
        required: true,
      })}${button({ label: 'Send invitation' })}`,
    })}`,
  })}${card({ title: 'Sent invitations', body: invitationsTable(options) })}`;
}
