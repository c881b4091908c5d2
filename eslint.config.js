import tseslint from 'typescript-eslint';

// The layout's rules, enforced: each entry names what a folder must not import. ESLint applies the
// last matching `no-restricted-imports` only, so every block repeats the rules it inherits.
const SDKS = {
  group: ['googleapis', '@googleapis/*', 'google-auth-library', '@microsoft/*'],
  message: 'The provider-neutral core never imports a provider SDK: go through integrations/provider.ts.',
};
const SANDBOX = {
  regex: '(^|/)sandbox/',
  message:
    'Production code does not import the provider emulator (only the demo and `coffee-chat sandbox` ship it).',
};
const restrict = (...patterns) => ({ 'no-restricted-imports': ['error', { patterns }] });

export default tseslint.config(
  {
    ignores: [
      'node_modules/**',
      'worker/db/generated/**',
      '.data/**',
      'coverage/**',
      '.tmp/**',
      'test-artifacts/**',
      'dist/**',
    ],
  },
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  {
    // The worker is provider-neutral and does not reach into the emulator...
    files: ['worker/**/*.ts'],
    rules: restrict(SDKS, SANDBOX),
  },
  {
    // ...except the two places that run it: the demo and `coffee-chat sandbox`.
    files: ['worker/demo/**/*.ts', 'worker/cli/commands/sandbox.ts'],
    rules: restrict(SDKS),
  },
  {
    // The real adapters do not depend on the emulator (or on the worker).
    files: ['integrations/**/*.ts'],
    rules: restrict(SANDBOX, {
      regex: '(^|/)worker/',
      message: 'Integrations sit below the worker: they do not import it.',
    }),
  },
  {
    // The emulator follows the providers' documentation, not our code.
    files: ['sandbox/**/*.ts'],
    rules: restrict(SDKS, {
      regex: '(^|/)(worker|integrations)/',
      message:
        'The sandbox does not import production code: it follows the providers\u2019 docs, not our code.',
    }),
  },
  {
    // core/ sits below jobs/ and the worker process.
    files: ['worker/core/**/*.ts'],
    rules: restrict(SDKS, SANDBOX, {
      regex: '(^|/)(jobs/|runtime\\.ts$)',
      message: 'core/ does not import jobs/ or runtime.ts (they build on core, not the other way round).',
    }),
  },
  {
    // The pipeline is pure: no I/O, no clock, no database, queue, network or provider client. The
    // neutral contract (integrations/provider.ts) is allowed for its types.
    files: ['worker/pipeline/**/*.ts'],
    ignores: ['worker/pipeline/template-store.ts'], // reads the template files, once; the one exception
    rules: restrict(
      SDKS,
      SANDBOX,
      {
        group: [
          'node:fs',
          'node:fs/*',
          'fs',
          'fs/*',
          'node:net',
          'node:http',
          'node:https',
          'node:child_process',
          'node:dns',
        ],
        message: 'pipeline/ is pure: no I/O (template-store.ts is the one file that reads templates).',
      },
      {
        group: [
          'ioredis',
          'bullmq',
          'pg',
          '@prisma/*',
          '@electric-sql/*',
          'fastify',
          'pino',
          'nodemailer',
          'mailparser',
        ],
        message: 'pipeline/ is pure: no database, queue, network or logger.',
      },
      {
        regex:
          '^\\.\\./(app|runtime|providers|provider-policy|config|logger|crypto|token-keys)\\.ts$|^\\.\\./(db|queues|jobs|core|web|cli|demo|services)/',
        message:
          'pipeline/ is pure: it takes facts and policy as arguments instead of reaching into the worker.',
      },
      {
        regex: '(^|/)integrations/(?!provider\\.ts$)',
        message: 'pipeline/ uses only the neutral contract (integrations/provider.ts), not the adapters.',
      },
    ),
  },
);
