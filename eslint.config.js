import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['node_modules/**', 'worker/db/generated/**', '.data/**', 'coverage/**', '.tmp/**', 'test-artifacts/**'] },
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  {
    // The provider-neutral core never imports a provider SDK.
    files: ['worker/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        { patterns: ['googleapis', '@googleapis/*', 'google-auth-library', '@microsoft/*'] },
      ],
    },
  },
);
