/** Tests are type-checked by `npm run typecheck`; jest only transpiles them, for speed. */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/legacy-monolith', '<rootDir>/extracted', '<rootDir>/proxy', '<rootDir>/shadow', '<rootDir>/scripts'],
  testMatch: ['**/*.test.ts'],
  transform: { '^.+\\.ts$': ['ts-jest', { diagnostics: false, tsconfig: { isolatedModules: true } }] },
  testTimeout: 30000,
};
