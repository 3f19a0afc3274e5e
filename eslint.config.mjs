// @ts-check
import eslint from '@eslint/js';
import eslintConfigPrettier from 'eslint-config-prettier';
import globals from 'globals';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'coverage/**', 'openapi/schema.d.ts', 'eslint.config.mjs'] },
  eslint.configs.recommended,
  ...tseslint.configs.recommended,
  eslintConfigPrettier,
  {
    languageOptions: { sourceType: 'module' },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/no-explicit-any': 'error',
      'no-console': ['error', { allow: ['error'] }],
    },
  },
  { ignores: ['apps/playground/src/**'], languageOptions: { globals: { ...globals.node } } },
  // The playground page runs in the browser.
  { files: ['apps/playground/src/**/*.ts'], languageOptions: { globals: { ...globals.browser } } },
  {
    files: [
      'apps/cli/**/*.ts',
      'bench/**/*.{ts,mjs,js}',
      'apps/playground/build.mjs',
      'libs/testing/**/*.ts',
      '**/*.spec.ts',
      '**/*.e2e-spec.ts',
    ],
    rules: { 'no-console': 'off' },
  },
);
