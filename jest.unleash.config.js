/** The Unleash integration test: needs PostgreSQL and unleash-server, so `npm run test:unleash` runs it through scripts/unleash/unleash-dev.sh. */
const base = require('./jest.config.js');
module.exports = { ...base, roots: ['<rootDir>/proxy'], testMatch: ['**/test/unleash/**/*.test.ts'], testPathIgnorePatterns: ['/node_modules/'], testTimeout: 60000 };
