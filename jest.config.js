/** Tests are type-checked by `npm run typecheck`; jest only transpiles them, for speed. */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/legacy-monolith', '<rootDir>/extracted', '<rootDir>/proxy', '<rootDir>/shadow', '<rootDir>/scripts', '<rootDir>/deploy'],
  testMatch: ['**/*.test.ts'],
  // Browser tests need Chromium (`npm run test:browser`), the Unleash test PostgreSQL and
  // unleash-server (`npm run test:unleash`), the PostgreSQL store's tests PostgreSQL and nginx
  // (`npm run test:postgres`); .ci/run installs them and runs each.
  testPathIgnorePatterns: ['/node_modules/', '/test/browser/', '/test/unleash/', '/test/postgres/'],
  transform: { '^.+\\.ts$': ['ts-jest', { diagnostics: false, tsconfig: { isolatedModules: true } }] },
  testTimeout: 30000,
};
