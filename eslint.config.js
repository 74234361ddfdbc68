// Flat ESLint config: typescript-eslint's recommended rules plus the package boundaries.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

const INFRA_LIBS = [
  'bullmq',
  'kafkajs',
  'ioredis',
  'pg',
  '@prisma/*',
  'prisma',
  'fastify',
  'pino',
  'prom-client',
];
const processEnv = {
  selector: "MemberExpression[object.name='process'][property.name='env']",
  message: 'Domain code never reads the environment: take config as a parameter.',
};

export default tseslint.config(
  {
    ignores: [
      '**/node_modules/**',
      '.asahi/**',
      '.nx/**',
      'packages/db/src/generated/**',
      'dist/**',
      'k6/**',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: {
      globals: {
        process: 'readonly',
        console: 'readonly',
        Buffer: 'readonly',
        URL: 'readonly',
        fetch: 'readonly',
        setTimeout: 'readonly',
        clearTimeout: 'readonly',
        setInterval: 'readonly',
        clearInterval: 'readonly',
        AbortSignal: 'readonly',
        Headers: 'readonly',
      },
    },
    rules: {
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' },
      ],
      '@typescript-eslint/consistent-type-imports': 'error',
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: ['@asahi/*/src/*', '@asahi/*/src'],
              message: 'Import a package by its name only (public index.ts).',
            },
          ],
        },
      ],
    },
  },
  {
    // Domain packages: no infrastructure libraries, no environment.
    files: ['packages/{contracts,errors,stages}/src/**/*.ts'],
    ignores: ['**/*.test.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            { group: INFRA_LIBS, message: 'Domain packages depend on contracts and errors only.' },
            {
              group: ['@asahi/*', '!@asahi/contracts', '!@asahi/errors'],
              message: 'Domain packages depend on contracts and errors only.',
            },
          ],
        },
      ],
      'no-restricted-syntax': ['error', processEnv],
    },
  },
  {
    // Tests read arbitrary JSON responses; `any` there is a reading aid, not a design choice.
    files: ['**/*.test.ts', 'e2e/**/*.ts'],
    rules: { '@typescript-eslint/no-explicit-any': 'off' },
  },
);
