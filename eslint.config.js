import js from '@eslint/js';
import globals from 'globals';
import reactHooks from 'eslint-plugin-react-hooks';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  {
    ignores: [
      '**/dist/**',
      '**/bundle/**',
      '**/node_modules/**',
      'data/**',
      'coverage/**',
      'bench/results/**',
      // Stryker's sandbox copies and reports (npm run mutate).
      '.stryker-tmp/**',
      'reports/**',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.strictTypeChecked,
  {
    languageOptions: {
      parserOptions: {
        projectService: {
          allowDefaultProject: ['*.js', '*.mjs', 'scripts/*.mjs', 'bench/*.mjs', '.ci/*.mjs'],
        },
        tsconfigRootDir: import.meta.dirname,
      },
      globals: { ...globals.node },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/restrict-template-expressions': ['error', { allowNumber: true }],
      // Password length is counted in code points on purpose (NIST SP 800-63B), so spreading a
      // string into code points is the intended operation, not a mistake.
      '@typescript-eslint/no-misused-spread': 'off',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_' }],
      'no-restricted-syntax': [
        'error',
        {
          selector: "MemberExpression[object.name='process'][property.name='env']",
          message: 'Read configuration through apps/server/src/config.ts only.',
        },
      ],
    },
  },
  {
    // Server tests and their vitest configs are type-checked by tsconfig.test.json, which the
    // project service does not find on its own (it only looks for tsconfig.json).
    files: ['apps/server/test/**/*.ts', 'apps/server/vitest*.config.ts'],
    languageOptions: {
      parserOptions: {
        projectService: false,
        project: ['apps/server/tsconfig.test.json'],
        tsconfigRootDir: import.meta.dirname,
      },
    },
  },
  {
    files: ['**/*.js', '**/*.mjs'],
    ...tseslint.configs.disableTypeChecked,
  },
  {
    files: ['apps/web/**/*.{ts,tsx}'],
    languageOptions: { globals: { ...globals.browser } },
    plugins: { 'react-hooks': reactHooks },
    rules: { ...reactHooks.configs.recommended.rules },
  },
  {
    // The config module is the one place that reads the environment; scripts and tests pass
    // values to child processes through it.
    files: [
      'apps/server/src/config.ts',
      'scripts/**',
      'bench/**',
      '.ci/**',
      '**/test/**',
      'e2e/**',
      '*.config.*',
    ],
    rules: { 'no-restricted-syntax': 'off' },
  },
);
