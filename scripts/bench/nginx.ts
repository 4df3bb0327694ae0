import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/**
 * Contender (c): what a team would write instead — nginx with split_clients on the shopper id and
 * keep-alive upstreams, one worker, an access log (to /dev/null, like ours to a discarded stdout).
 */
export function nginxConfig(port: number, legacyPort: number, extractedPort: number): { prefix: string; conf: string } {
  const prefix = fs.mkdtempSync(path.join(os.tmpdir(), 'strangler-nginx-'));
  fs.mkdirSync(path.join(prefix, 'logs'));
  const conf = path.join(prefix, 'nginx.conf');
  fs.writeFileSync(conf, `worker_processes 1;
daemon off;
error_log stderr warn;
pid ${prefix}/nginx.pid;
events { worker_connections 4096; }
http {
  access_log /dev/null combined;
  client_body_temp_path ${prefix}/body;
  proxy_temp_path ${prefix}/proxy;
  upstream legacy { server 127.0.0.1:${legacyPort}; keepalive 64; }
  upstream extracted { server 127.0.0.1:${extractedPort}; keepalive 64; }
  split_clients "\${http_x_user_id}" $backend { 25% extracted; * legacy; }
  server {
    listen 127.0.0.1:${port};
    location / {
      proxy_pass http://$backend;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
    }
  }
}
`);
  return { prefix, conf };
}
