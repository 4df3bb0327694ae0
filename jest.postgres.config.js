/**
 * Tests against a real PostgreSQL (each file starts its own throwaway cluster, scripts/testing/postgres.ts)
 * and, for replicas, nginx: `npm run test:postgres` installs both when missing (scripts/postgres/test-cluster.sh).
 * One file at a time: each runs a cluster and proxies on a small machine.
 */
const base = require('./jest.config.js');
module.exports = {
  ...base, roots: ['<rootDir>/shadow', '<rootDir>/proxy', '<rootDir>/scripts'], testMatch: ['**/test/postgres/**/*.test.ts'],
  testPathIgnorePatterns: ['/node_modules/'], testTimeout: 120000, maxWorkers: 1,
};
