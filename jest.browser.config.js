/** The browser tests: need Chromium (scripts/install-chromium.sh); run by `npm run test:browser` and .ci/run. */
const base = require('./jest.config.js');
module.exports = { ...base, roots: ['<rootDir>/shadow', '<rootDir>/proxy'], testMatch: ['**/test/browser/**/*.test.ts'], testPathIgnorePatterns: ['/node_modules/'] };
