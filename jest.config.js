/** Tests are type-checked by `npm run typecheck`; jest only transpiles them, for speed. */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/legacy-monolith', '<rootDir>/extracted', '<rootDir>/proxy', '<rootDir>/shadow', '<rootDir>/scripts'],
  testMatch: ['**/*.test.ts'],
  // Browser tests need Chromium; `npm run test:browser` runs them (and .ci/run installs Chromium first).
  testPathIgnorePatterns: ['/node_modules/', '/test/browser/'],
  transform: { '^.+\\.ts$': ['ts-jest', { diagnostics: false, tsconfig: { isolatedModules: true } }] },
  testTimeout: 30000,
};
