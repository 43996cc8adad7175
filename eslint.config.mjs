// Lint rules the house relies on: no floating promises, exhaustive switches, no console in services.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import prettier from 'eslint-config-prettier';

// Boundaries (CONVENTIONS "Shape"): a lib is used through its public index (`@app/<lib>`), an app
// through its `src/index.ts`, libs never reach into apps. test/** and bench/** may reach in.
const DEEP_LIB_IMPORT = {
  regex: '^@app/[^/]+/.+',
  message: "Import the lib's public surface (`@app/<lib>`); export what you need from its index.ts.",
};
const LIB_IMPORTS_APP = {
  regex: '(^|/)apps/',
  message: 'A lib never imports an app: move what you need into a lib.',
};
const RELATIVE_INTO_OTHER_LIB = {
  regex: '^(\\.\\./)+(libs/)?[^./][^/]*/src(/|$)',
  message: 'Import another lib through its alias (`@app/<lib>`), not a relative path into its src.',
};
const RELATIVE_INTO_OTHER_APP = {
  regex: '^(\\.\\./)+(apps/)?[^./][^/]*/src/(?!index$).+',
  message: 'Import another app only through its entry surface (`<app>/src`, its index.ts).',
};
const RELATIVE_INTO_LIBS = {
  regex: '^(\\.\\./)+libs/',
  message: 'Import a lib through its alias (`@app/<lib>`).',
};

export default tseslint.config(
  {
    ignores: ['dist/**', 'node_modules/**', 'coverage/**', '.data/**', 'eslint.config.mjs', 'jest.config.js'],
  },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  prettier,
  {
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/switch-exhaustiveness-check': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/no-extraneous-class': 'off',
      '@typescript-eslint/unbound-method': 'off',
      'no-console': 'error',
    },
  },
  {
    files: ['libs/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        { patterns: [DEEP_LIB_IMPORT, LIB_IMPORTS_APP, RELATIVE_INTO_OTHER_LIB] },
      ],
    },
  },
  {
    files: ['apps/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        { patterns: [DEEP_LIB_IMPORT, RELATIVE_INTO_OTHER_APP, RELATIVE_INTO_LIBS] },
      ],
    },
  },
  {
    files: ['migrations/**/*.ts'],
    rules: { 'no-restricted-imports': ['error', { patterns: [DEEP_LIB_IMPORT] }] },
  },
  {
    files: ['apps/cli/**/*.ts', 'bench/**/*.ts', 'scripts/**/*.ts'],
    rules: { 'no-console': 'off' },
  },
  {
    files: ['**/*.spec.ts', '**/*.e2e-spec.ts', 'test/**/*.ts'],
    rules: {
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
    },
  },
);
