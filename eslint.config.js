import js from '@eslint/js';
import importX, { createNodeResolver } from 'eslint-plugin-import-x';
import globals from 'globals';
import tseslint from 'typescript-eslint';

// STYLE.md's arrows ("Which way the arrows point"), checked per layer: decision 0019. Each
// refusal is a regex on the import as written; `../` is refused in src/, so whatever crosses a
// folder is written `#src/…` and the regexes see where it goes.

/** @param {string} regex @param {string} message @param {object} [extra] */
const refuse = (regex, message, extra = {}) => ({ regex, message, ...extra });
/** Refuses every folder of ours but `folders` (and climbing out of this one). */
const onlyFrom = (folders, message) =>
  refuse(`^#src/(?!(${folders.join('|')})/)|^\\.\\./`, message);

const TESTS = ['**/*.test.ts', 'test/**'];
const ONLY_COMPOSITION = 'Only container.ts and cli/ choose concrete adapters (STYLE.md).';

const no = {
  climbing: refuse('^\\.\\./', 'Reach another folder through #src/… (STYLE rule 9).'),
  moduleInternals: refuse(
    '^#src/modules/[^/]+/(?!index\\.ts$)',
    'Another module is reached through its index.ts only (STYLE.md).',
  ),
  adapters: refuse(
    '^#src/(jobs/(bullmq-queue|memory-queue|eager-queue|worker-runner|schedules)|email/(smtp-sender|console-sender|memory-outbox)|lib/redis-(channel|rate-limit-store))\\.ts$',
    ONLY_COMPOSITION,
  ),
  database: refuse(
    '^(#src/db/|drizzle-orm)',
    'http/ and jobs/ call module services; they never touch repositories or the database (STYLE.md).',
  ),
  repositories: refuse(
    '\\.repository\\.ts$',
    "A repository is its module's own: call the module's service (STYLE.md).",
  ),
  container: refuse(
    '^#src/container\\.ts$',
    'Take the services you use as options, not the whole container (STYLE rule 4).',
  ),
  email: refuse('^#src/email/', 'Mail is sent by jobs, through module services (STYLE.md).'),
  roles: refuse('^#src/(cli|process)/|^#src/main\\.ts$', 'Process roles import layers, not back.'),
  metrics: refuse(
    '^#src/metrics/',
    'The web and job layers take metrics ports; src/metrics (prom-client) is wired by the composition (decision 0022).',
  ),
};
const DRIVERS = ['bullmq', 'ioredis', 'nodemailer', 'pg', '@electric-sql/pglite'];

/** modules/*: lib, db and another module's index.ts only; no framework, queue or mail. */
const moduleRules = [
  onlyFrom(
    ['lib', 'db', 'modules'],
    "modules/* import lib, db and another module's index.ts only (STYLE.md).",
  ),
  no.moduleInternals,
  refuse('^(fastify|fastify-plugin|@fastify/.*)$', 'modules/* are framework-free (STYLE.md).'),
];
/** Outside repositories a module names only db/transaction.ts (index.ts: the db handle's type). */
const queryBuilding = (allowTypeImports) =>
  refuse(
    '^(#src/db/(?!transaction\\.ts$)|drizzle-orm)',
    'Only *.repository.ts files import the database client or build queries (STYLE.md).',
    { allowTypeImports },
  );

/** Each table is one module's; another module's table is read through that module. */
const TABLES = {
  accounts: [
    'users',
    'sessions',
    'passwordResetTokens',
    'apiTokens',
    'invitations',
    'emailVerificationTokens',
  ],
  links: ['links'],
  analytics: ['clicks', 'clickDaily', 'clickDailyValues', 'clickDailyVisitors'],
};
/** @param {string} module @param {string[]} [excepted] tables decision 0019 lets it read */
const tablesOfOthers = (module, excepted = []) => ({
  name: '#src/db/schema.ts',
  importNames: Object.entries(TABLES)
    .flatMap(([owner, tables]) => (owner === module ? [] : tables))
    .filter((table) => !excepted.includes(table)),
  message:
    "Another module's table: go through that module, or record an exception (decision 0019).",
});

const httpRules = [
  no.climbing,
  no.moduleInternals,
  no.database,
  no.repositories,
  no.adapters,
  no.email,
  no.container,
  no.roles,
  no.metrics,
];
const jobsRules = [
  ...httpRules,
  refuse('^#src/http/', 'Jobs call module services; HTTP is not theirs (STYLE.md).'),
];
const SCOPE = 'One scope does not import another (STYLE rule 13).';

/**
 * One flat-config object per layer, tests left out (they reach into what they test). Options of
 * one rule do not merge across objects: a file takes the last matching object's list, so each
 * list is whole.
 */
function layer(name, files, patterns, { ignores = [], paths = [] } = {}) {
  return {
    name: `arrows/${name}`,
    files,
    ignores: [...TESTS, ...ignores],
    rules: { '@typescript-eslint/no-restricted-imports': ['error', { paths, patterns }] },
  };
}

const arrows = [
  layer('src', ['src/**/*.ts'], [no.climbing, no.moduleInternals, no.adapters]),
  layer(
    'lib',
    ['src/lib/**/*.ts'],
    [onlyFrom(['lib'], 'lib imports nothing of ours (STYLE.md).'), no.adapters],
  ),
  layer(
    'settings',
    ['src/settings/**/*.ts'],
    [onlyFrom(['lib', 'settings'], 'settings imports only lib (STYLE.md).')],
  ),
  layer(
    'db',
    ['src/db/**/*.ts'],
    [onlyFrom(['lib', 'settings', 'db'], 'db imports lib and settings only.')],
  ),
  layer(
    'email',
    ['src/email/**/*.ts'],
    [onlyFrom(['lib', 'email'], 'email imports lib only; modules reach it through ports.')],
  ),
  layer('modules', ['src/modules/**/*.ts'], [...moduleRules, queryBuilding(false)], {
    ignores: ['src/modules/*/index.ts', 'src/modules/**/*.repository.ts'],
  }),
  layer('modules/index', ['src/modules/*/index.ts'], [...moduleRules, queryBuilding(true)]),
  ...Object.keys(TABLES).map((module) =>
    layer(
      `modules/${module}/repositories`,
      [`src/modules/${module}/**/*.repository.ts`],
      moduleRules,
      {
        paths: [tablesOfOthers(module)],
      },
    ),
  ),
  // Decision 0019: the redirect's lookup reads its owner's `users` row in the same query.
  layer('modules/links/links.repository', ['src/modules/links/links.repository.ts'], moduleRules, {
    paths: [tablesOfOthers('links', ['users'])],
  }),
  // Decision 0019: a list page's click counts keep to the owner's `links` in the same query.
  layer(
    'modules/analytics/stats.repository',
    ['src/modules/analytics/stats.repository.ts'],
    moduleRules,
    { paths: [tablesOfOthers('analytics', ['links'])] },
  ),
  // Decision 0022: prom-client behind plain functions; the sources are passed in, never imported.
  layer(
    'metrics',
    ['src/metrics/**/*.ts'],
    [
      onlyFrom(['lib', 'metrics'], 'metrics imports lib only; what it counts is passed in.'),
      refuse(`^(${DRIVERS.join('|')})$`, ONLY_COMPOSITION),
    ],
  ),
  layer('jobs', ['src/jobs/**/*.ts'], jobsRules),
  layer('http', ['src/http/**/*.ts'], httpRules, { ignores: ['src/http/build-server.ts'] }),
  // The root scope takes the container and hands each scope what it uses.
  layer(
    'http/build-server',
    ['src/http/build-server.ts'],
    httpRules.filter((rule) => rule !== no.container),
  ),
  layer(
    'http/plugins',
    ['src/http/plugins/**/*.ts'],
    [
      ...httpRules,
      refuse(
        '^#src/http/(pages|api)/|^#src/http/[^/]+\\.routes\\.ts$|^#src/http/build-server\\.ts$',
        'A plugin is unaware of the scopes that use it: what it needs of one is passed in (STYLE rule 13).',
      ),
    ],
  ),
  layer('http/api', ['src/http/api/**/*.ts'], [...httpRules, refuse('^#src/http/pages/', SCOPE)]),
  layer('http/pages', ['src/http/pages/**/*.ts'], [...httpRules, refuse('^#src/http/api/', SCOPE)]),
  // Composition chooses adapters, and still reaches a module through its index.ts.
  layer(
    'composition',
    ['src/container.ts', 'src/cli/**/*.ts'],
    [
      no.climbing,
      no.moduleInternals,
      refuse('^prom-client$', 'Metrics are defined in src/metrics (decision 0022).'),
    ],
  ),
  {
    // The drivers, each imported by the one adapter that wraps it, and by the composition.
    name: 'arrows/adapter-packages',
    files: ['src/**/*.ts'],
    ignores: [
      ...TESTS,
      'src/container.ts',
      'src/cli/**',
      'src/db/client.ts',
      'src/email/smtp-sender.ts',
      'src/jobs/{bullmq-queue,worker-runner,schedules}.ts',
      'src/lib/redis-{channel,rate-limit-store}.ts',
      'src/metrics/**',
    ],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: [
            ...DRIVERS.map((name) => ({ name, message: ONLY_COMPOSITION })),
            { name: 'prom-client', message: 'Metrics are defined in src/metrics (decision 0022).' },
          ],
        },
      ],
    },
  },
];

export default tseslint.config(
  { ignores: ['node_modules/', 'dist/', 'data/', 'coverage/', 'test-results/'] },
  js.configs.recommended,
  ...tseslint.configs.strictTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/restrict-template-expressions': ['error', { allowNumber: true }],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_' }],
      'no-console': 'error',
    },
  },
  {
    files: ['**/*.test.ts', 'test/**/*.ts', 'scripts/**/*.ts'],
    rules: {
      '@typescript-eslint/no-non-null-assertion': 'off',
      '@typescript-eslint/no-floating-promises': 'off',
      'no-console': 'off',
    },
  },
  ...arrows,
  {
    // A command reads and writes through its Invocation, never the process's own streams,
    // environment or directory, so a test can run it in-process (decision 0025). process.exit,
    // process.on and cluster stay: serve and worker are processes.
    name: 'cli/invocation',
    files: ['src/cli/**/*.ts'],
    ignores: TESTS,
    rules: {
      'no-restricted-properties': [
        'error',
        ...['env', 'cwd', 'argv', 'stdin', 'stdout', 'stderr', 'exitCode'].map((property) => ({
          object: 'process',
          property,
          message: "Use the command's Invocation (decision 0025).",
        })),
      ],
    },
  },
  {
    // No import cycles (decision 0019); type-only imports are erased and do not count. The
    // resolver follows package.json "imports" (`#src/…`) as Node does.
    name: 'cycles',
    files: ['**/*.ts'],
    plugins: { 'import-x': importX },
    settings: {
      'import-x/parsers': { '@typescript-eslint/parser': ['.ts'] },
      'import-x/extensions': ['.ts', '.js', '.mjs'],
      'import-x/resolver-next': [createNodeResolver()],
    },
    rules: { 'import-x/no-cycle': ['error', { ignoreExternal: true }] },
  },
  {
    files: ['**/*.js', '**/*.mjs'],
    ...tseslint.configs.disableTypeChecked,
    languageOptions: {
      ...tseslint.configs.disableTypeChecked.languageOptions,
      globals: globals.node,
    },
    rules: { ...tseslint.configs.disableTypeChecked.rules, 'no-console': 'off' },
  },
);
