'use strict';
/**
 * Starts a real Unleash server (unleash-server 6.x, the last line that runs on Node 20) on loopback
 * for development and tests. Everything comes from the environment, so the shell script and the
 * integration test start it the same way:
 *
 *   UNLEASH_DEV_PGHOST   PostgreSQL host or unix-socket directory (required)
 *   UNLEASH_DEV_PGPORT   PostgreSQL port (default 5432)
 *   UNLEASH_DEV_PGUSER   PostgreSQL user (default postgres)
 *   UNLEASH_DEV_DB       database name (required; created beforehand)
 *   UNLEASH_DEV_PORT     port to listen on, 0 = any free one (default 0)
 *   UNLEASH_DEV_ADMIN_TOKEN  an admin API token Unleash creates at start-up (required)
 *
 * When it listens it prints one line `UNLEASH_READY http://127.0.0.1:PORT` on stdout, which is
 * how callers learn the port. SIGTERM/SIGINT stop it cleanly (open connections are closed).
 */
const { start } = require('unleash-server');

function required(name) {
  const value = process.env[name];
  if (!value) {
    console.error(`start-unleash: ${name} must be set`);
    process.exit(2);
  }
  return value;
}

async function main() {
  const adminToken = required('UNLEASH_DEV_ADMIN_TOKEN');
  const instance = await start({
    db: {
      host: required('UNLEASH_DEV_PGHOST'),
      port: Number(process.env.UNLEASH_DEV_PGPORT || 5432),
      user: process.env.UNLEASH_DEV_PGUSER || 'postgres',
      password: '',
      database: required('UNLEASH_DEV_DB'),
      ssl: false,
    },
    server: { host: '127.0.0.1', port: Number(process.env.UNLEASH_DEV_PORT || 0), gracefulShutdownEnable: false },
    authentication: {
      type: 'open-source',
      enableApiToken: true,
      initApiTokens: [{ type: 'admin', secret: adminToken, environment: '*', project: '*', tokenName: 'strangler-dev-admin' }],
    },
    // This machine's network is closed and a dev server has nothing to report anyway.
    versionCheck: { enable: false },
    telemetry: false,
    logLevel: process.env.UNLEASH_DEV_LOG_LEVEL || 'warn',
  });
  const { port } = instance.server.address();
  process.stdout.write(`UNLEASH_READY http://127.0.0.1:${port}\n`);

  let stopping = false;
  const stop = async () => {
    if (stopping) return;
    stopping = true;
    try {
      await instance.stop();
    } finally {
      process.exit(0);
    }
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

main().catch((error) => {
  console.error('start-unleash: could not start Unleash:', error);
  process.exit(1);
});
