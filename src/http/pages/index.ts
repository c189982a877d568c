import formbody from '@fastify/formbody';
import type { FastifyPluginAsync } from 'fastify';
import type { QueueInspection } from '#src/jobs/queue.ts';
import type {
  AccountDeletionService,
  ApiTokensService,
  EmailVerificationService,
  InvitationsService,
  PasswordResetService,
  SessionsService,
  UsersService,
} from '#src/modules/accounts/index.ts';
import type { DataExportService, StatsService } from '#src/modules/analytics/index.ts';
import type { LinksService } from '#src/modules/links/index.ts';
import type { Settings } from '#src/settings/index.ts';
import { cookiesPlugin } from '#src/http/plugins/cookies.ts';
import { csrfPlugin } from '#src/http/plugins/csrf.ts';
import { inputTextPlugin } from '#src/http/plugins/input-text.ts';
import { requireUser } from '#src/http/plugins/require-user.ts';
import { sessionPlugin } from '#src/http/plugins/session.ts';
import { accountDeletedRoutes, accountDeletionRoutes } from './account-deletion.routes.ts';
import { adminRoutes } from './admin.routes.ts';
import { dataExportRoutes } from './data-export.routes.ts';
import { homeRoutes } from './home.routes.ts';
import { linksRoutes } from './links.routes.ts';
import { loginRoutes } from './login.routes.ts';
import { passwordResetRoutes } from './password-reset.routes.ts';
import { profileRoutes } from './profile.routes.ts';
import { registerRoutes } from './register.routes.ts';
import { tokensRoutes } from './tokens.routes.ts';
import { resendVerificationRoutes, verifyEmailRoutes } from './verify-email.routes.ts';
import { zodValidatorCompiler } from './zod-validation.ts';

export interface SiteOptions {
  readonly settings: Settings;
  readonly sessions: SessionsService;
  readonly users: UsersService;
  readonly passwordReset: PasswordResetService;
  readonly invitations: InvitationsService;
  readonly emailVerification: EmailVerificationService;
  readonly apiTokens: ApiTokensService;
  readonly links: LinksService;
  readonly stats: Pick<StatsService, 'stats' | 'clickCounts'>;
  readonly dataExport: Pick<DataExportService, 'export' | 'fileName'>;
  readonly accountDeletion: Pick<AccountDeletionService, 'deleteOwn'>;
  readonly jobs: QueueInspection;
}

/**
 * The site scope: the server-rendered pages. Only here are forms parsed and their text checked,
 * cookies read and signed, CSRF checked and sessions resolved; the redirect, the API, health checks and static
 * files never pay for any of it (and never answer with a Set-Cookie). Signed-in pages sit in a
 * nested scope that checks for a user once, before the body is read.
 */
export const siteScope: FastifyPluginAsync<SiteOptions> = async (site, options) => {
  const { settings } = options;
  // Params, queries and form bodies are zod schemas, validated as the API's are.
  site.setValidatorCompiler(zodValidatorCompiler);
  await site.register(formbody);
  // Text no column can hold (NUL, other controls) is a 400 naming the field, whatever the form.
  await site.register(inputTextPlugin);
  await site.register(cookiesPlugin, { settings });
  await site.register(csrfPlugin, { settings });
  await site.register(sessionPlugin, { settings, sessions: options.sessions });

  await site.register(homeRoutes);
  await site.register(registerRoutes, {
    users: options.users,
    invitations: options.invitations,
    registrationMode: settings.registrationMode,
    passwordMinLength: settings.passwordMinLength,
  });
  // Anyone holding a confirmation link may use it, signed in or not.
  await site.register(verifyEmailRoutes, { emailVerification: options.emailVerification });
  await site.register(loginRoutes, { users: options.users });
  await site.register(passwordResetRoutes, {
    passwordReset: options.passwordReset,
    passwordMinLength: settings.passwordMinLength,
  });
  // Where a deleted account's owner lands, signed out.
  await site.register(accountDeletedRoutes);
  // Staff only, behind its own guard (ADMIN_ALLOWED_IPS, is_staff): a 404 to everyone else.
  await site.register(adminRoutes, {
    adminPath: settings.adminPath,
    allowedIps: settings.adminAllowedIps,
    jobs: options.jobs,
    invitations: options.invitations,
    invitationTtlMs: settings.invitationTtl,
  });

  await site.register(async (signedIn) => {
    signedIn.addHook('onRequest', requireUser);
    await signedIn.register(linksRoutes, {
      links: options.links,
      stats: options.stats,
      siteUrl: settings.siteUrl,
      defaultRedirectStatus: settings.redirectStatus,
    });
    await signedIn.register(tokensRoutes, { apiTokens: options.apiTokens });
    await signedIn.register(resendVerificationRoutes, {
      emailVerification: options.emailVerification,
    });
    await signedIn.register(profileRoutes, {
      users: options.users,
      passwordMinLength: settings.passwordMinLength,
    });
    await signedIn.register(dataExportRoutes, { dataExport: options.dataExport });
    await signedIn.register(accountDeletionRoutes, { accountDeletion: options.accountDeletion });
  });
};
