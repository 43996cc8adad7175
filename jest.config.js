// Three tiers: `unit` (pure, beside the code), `integration` (services on a migrated database of their
// own, no HTTP; `*.int-spec.ts` beside the code) and `e2e` (HTTPS, real Postgres + Redis, one database per suite).
const moduleNameMapper = {
  '^@app/([^/]+)$': '<rootDir>/libs/$1/src',
  '^@app/([^/]+)/(.*)$': '<rootDir>/libs/$1/src/$2',
  '^@migrations$': '<rootDir>/migrations',
};
// ES-module-only dependencies that Node 20.19+ loads through require() but Jest's CommonJS
// runtime cannot: Jest compiles these (and only these) to CommonJS. The one place this is decided.
const ESM_ONLY = ['content-disposition'];
const transform = {
  '^.+\\.ts$': ['ts-jest', { tsconfig: '<rootDir>/tsconfig.spec.json' }],
  '^.+\\.m?js$': ['ts-jest', { tsconfig: '<rootDir>/tsconfig.spec.json' }],
};
const common = {
  rootDir: __dirname,
  moduleFileExtensions: ['ts', 'js', 'mjs', 'json'],
  transform,
  transformIgnorePatterns: [`/node_modules/(?!(${ESM_ONLY.join('|')})/)`],
  moduleNameMapper,
  testEnvironment: 'node',
};

module.exports = {
  // Jest reads testTimeout only at the top level (per-project values are ignored): suites that start an
  // API and a worker need more than the 5 s default on a loaded 2-vCPU machine.
  testTimeout: 60000,
  projects: [
    {
      ...common,
      displayName: 'unit',
      testMatch: [
        '<rootDir>/libs/**/*.spec.ts',
        '<rootDir>/apps/**/*.spec.ts',
        '<rootDir>/bench/**/*.spec.ts',
      ],
    },
    {
      ...common,
      displayName: 'integration',
      testMatch: ['<rootDir>/libs/**/*.int-spec.ts', '<rootDir>/apps/**/*.int-spec.ts'],
      globalSetup: '<rootDir>/test/support/global-setup.ts',
      testTimeout: 60000,
    },
    {
      ...common,
      displayName: 'e2e',
      testMatch: ['<rootDir>/test/**/*.e2e-spec.ts'],
      globalSetup: '<rootDir>/test/support/global-setup.ts',
      testTimeout: 60000,
    },
  ],
};
