/** Tests are type-checked by `npm run typecheck`; jest only transpiles them, for speed. */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/legacy-monolith', '<rootDir>/extracted', '<rootDir>/proxy', '<rootDir>/scripts'],
  testMatch: ['**/*.test.ts'],
  transform: { '^.+\\.ts$': ['ts-jest', { isolatedModules: true, diagnostics: false }] },
  testTimeout: 30000,
};
