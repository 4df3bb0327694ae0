import fs from 'node:fs';
import path from 'node:path';
import vm from 'node:vm';
import YAML from 'yaml';
import { ADMIN_ENDPOINTS } from '../../proxy/admin/server';
import { proxyConfigFromEnv } from '../../proxy/config';
import { SHUTDOWN_DRAIN_MS } from '../../proxy/main';
import { ConfigMapVolume } from '../../scripts/testing/configmap-volume';
import { request } from '../../scripts/testing/http-client';
import { REPO_ROOT, runCli, tempDir } from '../../scripts/testing/processes';
import { startTestProxyOn } from '../../scripts/testing/upstreams';
import { all, execForm, parseDockerfile } from './dockerfile';
import { find, readKustomization, render, renderFromFiles, type K8sObject } from './kustomize';

const DIR = path.join(REPO_ROOT, 'deploy', 'kubernetes');
const rendered = render(DIR);
if (rendered.by !== 'kubectl kustomize') process.stderr.write(`NOTE: kubectl kustomize is not usable here (${rendered.note}); the manifests are read as YAML and the kustomization applied by the test\n`);
const objects = rendered.objects;
const defaults = proxyConfigFromEnv({});

interface EnvVar { name: string; value?: string; valueFrom?: { fieldRef?: { fieldPath: string } } }
interface Probe { httpGet?: { path: string; port: string | number; host?: string; scheme?: string; httpHeaders?: Array<{ name: string; value: string }> } }
interface Container {
  name: string; image: string; args?: string[]; command?: string[];
  ports: Array<{ name: string; containerPort: number }>; env: EnvVar[];
  readinessProbe: Probe; livenessProbe: Probe; startupProbe?: Probe;
  lifecycle?: { preStop?: { exec?: { command: string[] } } };
  resources: { requests?: Record<string, string>; limits?: Record<string, string> };
  securityContext?: { allowPrivilegeEscalation?: boolean; readOnlyRootFilesystem?: boolean; capabilities?: { drop?: string[] } };
  volumeMounts: Array<{ name: string; mountPath: string; readOnly?: boolean; subPath?: string; subPathExpr?: string }>;
}
interface PodSpec {
  containers: Container[]; terminationGracePeriodSeconds?: number;
  securityContext?: { runAsNonRoot?: boolean; runAsUser?: number };
  volumes: Array<{ name: string; configMap?: { name: string }; emptyDir?: Record<string, unknown> }>;
}
type Deployment = K8sObject & { spec: { replicas: number; selector: { matchLabels: Record<string, string> }; template: { metadata: { labels: Record<string, string>; annotations?: Record<string, string> }; spec: PodSpec } } };
type Service = K8sObject & { spec: { selector: Record<string, string>; ports: Array<{ name: string; port: number; targetPort: string | number }> } };

const deployment = find(objects, 'Deployment', 'strangler')[0] as Deployment;
const pod = deployment.spec.template.spec;
const proxy = pod.containers.find((c) => c.name === 'proxy')!;
/** The container's environment as kubelet gives it: `$(VAR)` expanded from earlier entries, field refs from `fields`. */
const envOf = (fields: Record<string, string>): Record<string, string> => {
  const env: Record<string, string> = {};
  for (const v of proxy.env) {
    if (v.valueFrom?.fieldRef) env[v.name] = fields[v.valueFrom.fieldRef.fieldPath] ?? '';
    else env[v.name] = (v.value ?? '').replace(/\$\((\w+)\)/g, (whole, name: string) => env[name] ?? whole);
  }
  return env;
};
const env = envOf({ 'status.podIP': '10.244.3.17' });
const config = proxyConfigFromEnv(env);
const portNamed = (port: string | number): number => (typeof port === 'number' ? port : proxy.ports.find((p) => p.name === port)?.containerPort ?? NaN);
const dockerfile = parseDockerfile(fs.readFileSync(path.join(REPO_ROOT, 'Dockerfile'), 'utf8'));
const image = dockerfile.stages[dockerfile.stages.length - 1];
const matches = (selector: Record<string, string>, labels: Record<string, string>): boolean => Object.entries(selector).every(([k, v]) => labels[k] === v);
const podLabels = deployment.spec.template.metadata.labels;

describe(`deploy/kubernetes, rendered by ${rendered.by}`, () => {
  test('renders a Deployment, the shoppers\' and the admin Service, an HPA, a PDB and the rules ConfigMap', () => {
    expect(objects.map((o) => `${o.kind}/${o.metadata.name}`).sort()).toEqual([
      'ConfigMap/strangler-rules', 'Deployment/strangler', 'HorizontalPodAutoscaler/strangler', 'PodDisruptionBudget/strangler', 'Service/strangler', 'Service/strangler-admin',
    ]);
  });

  (rendered.by === 'kubectl kustomize' ? test : test.skip)(`reading the files by hand renders what kubectl kustomize renders${rendered.by === 'kubectl kustomize' ? '' : ' (SKIPPED: no kubectl)'}`, () => {
    const key = (o: K8sObject): string => `${o.kind}/${o.metadata.name}`;
    const sorted = (list: K8sObject[]): K8sObject[] => [...list].sort((a, b) => key(a).localeCompare(key(b)));
    expect(sorted(renderFromFiles(DIR))).toEqual(sorted(objects));
  });

  test('at least two replicas, rolled one new pod at a time with none taken away first', () => {
    expect(deployment.spec.replicas).toBeGreaterThanOrEqual(2);
    expect(deployment.spec).toMatchObject({ strategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 0 } } });
    expect(matches(deployment.spec.selector.matchLabels, podLabels)).toBe(true);
  });

  test('runs the image\'s `strangler proxy` on the ports its environment names', () => {
    const cmd = execForm(all(image, 'CMD')[0].args);
    expect(proxy.command).toBeUndefined(); // the image's ENTRYPOINT
    expect(proxy.args ?? cmd).toEqual(cmd);
    const [imageName] = readKustomization(DIR).images!.map((i) => i.newName ?? i.name);
    expect(proxy.image.startsWith(`${imageName}:`) || proxy.image.startsWith(`${imageName}@`)).toBe(true);
    expect(portNamed('http')).toBe(config.proxyPort);
    expect(portNamed('admin')).toBe(config.adminPort);
    // The ports the environment sets are the proxy's defaults, the ones the image's HEALTHCHECK and EXPOSE use.
    expect([config.proxyPort, config.adminPort]).toEqual([defaults.proxyPort, defaults.adminPort]);
  });

  test('probes: readiness /readyz, liveness and start-up /healthz, on the admin port, at the pod IP', () => {
    const endpoints = new Set(ADMIN_ENDPOINTS.filter((e) => e.method === 'GET').map((e) => e.path));
    const probes = { readiness: proxy.readinessProbe, liveness: proxy.livenessProbe, startup: proxy.startupProbe };
    expect(Object.fromEntries(Object.entries(probes).map(([k, p]) => [k, p?.httpGet?.path]))).toEqual({ readiness: '/readyz', liveness: '/healthz', startup: '/healthz' });
    for (const probe of Object.values(probes)) {
      const get = probe!.httpGet!;
      expect(endpoints.has(get.path)).toBe(true);
      expect(portNamed(get.port)).toBe(config.adminPort);
      expect(get.host).toBeUndefined(); // kubelet then connects to, and names in Host, the pod IP
      expect(get.scheme ?? 'HTTP').toBe('HTTP');
      expect(get.httpHeaders ?? []).toEqual([]);
    }
  });

  test('the admin Host check lets the probes and scrapes in: every interface, and the pod IP allowed (defined before it is used)', () => {
    expect(['0.0.0.0', '$(POD_IP)']).toContain(proxy.env.find((v) => v.name === 'ADMIN_HOST')?.value);
    const names = proxy.env.map((v) => v.name);
    expect(proxy.env.find((v) => v.name === 'POD_IP')?.valueFrom).toEqual({ fieldRef: { fieldPath: 'status.podIP' } });
    expect(names.indexOf('POD_IP')).toBeLessThan(names.indexOf('ADMIN_ALLOWED_HOSTS'));
    expect(config.adminAllowedHosts).toContain('10.244.3.17');
  });

  test('Prometheus finds the admin port: pod annotations, and the admin Service\'s port', () => {
    const annotations = deployment.spec.template.metadata.annotations ?? {};
    expect(annotations['prometheus.io/scrape']).toBe('true');
    expect(Number(annotations['prometheus.io/port'])).toBe(config.adminPort);
    expect(annotations['prometheus.io/path']).toBe('/metrics');
    expect(ADMIN_ENDPOINTS).toContainEqual(expect.objectContaining({ method: 'GET', path: '/metrics' }));
    const admin = find(objects, 'Service', 'strangler-admin')[0] as Service;
    expect(portNamed(admin.spec.ports[0].targetPort)).toBe(config.adminPort);
    expect(matches(admin.spec.selector, podLabels)).toBe(true);
  });

  test('the shoppers\' Service sends to the shopper port only: the admin port is never on it', () => {
    const shoppers = find(objects, 'Service', 'strangler')[0] as Service;
    expect(matches(shoppers.spec.selector, podLabels)).toBe(true);
    expect(shoppers.spec.ports.map((p) => portNamed(p.targetPort))).toEqual([config.proxyPort]);
  });

  test('the rules are the ConfigMap mounted as a directory (no subPath: kubelet never updates one), at STRANGLER_RULES', () => {
    const volume = pod.volumes.find((v) => v.configMap !== undefined)!;
    const configMap = find(objects, 'ConfigMap', volume.configMap!.name)[0] as K8sObject & { data: Record<string, string> };
    expect(configMap).toBeDefined();
    const mount = proxy.volumeMounts.find((m) => m.name === volume.name)!;
    expect(mount.subPath).toBeUndefined();
    expect(mount.subPathExpr).toBeUndefined();
    expect(mount.readOnly).toBe(true);
    expect(path.posix.dirname(config.rulesFile)).toBe(mount.mountPath);
    expect(Object.keys(configMap.data)).toContain(path.posix.basename(config.rulesFile));
  });

  test('the ConfigMap keeps its name across rules changes (no hash suffix), so a change reloads in place instead of restarting pods', () => {
    const generator = readKustomization(DIR).configMapGenerator!.find((g) => g.name === 'strangler-rules')!;
    expect(generator.options?.disableNameSuffixHash).toBe(true);
    expect(find(objects, 'ConfigMap').map((o) => o.metadata.name)).toEqual(['strangler-rules']);
  });

  test('the ConfigMap\'s rules pass `strangler check`', async () => {
    const configMap = find(objects, 'ConfigMap', 'strangler-rules')[0] as K8sObject & { data: Record<string, string> };
    const file = path.join(tempDir('k8s-rules'), 'routing-rules.yaml');
    fs.writeFileSync(file, configMap.data['routing-rules.yaml']);
    const check = await runCli(['check', file]);
    expect({ code: check.code, out: check.stdout + check.stderr }).toEqual({ code: 0, out: expect.stringMatching(/ok: \d+ routes/) });
  });

  test('its routes, goals and defaults are the shop\'s shipped rules; only the upstreams differ (the Services in the namespace)', () => {
    const configMap = find(objects, 'ConfigMap', 'strangler-rules')[0] as K8sObject & { data: Record<string, string> };
    const shipped = YAML.parse(fs.readFileSync(path.join(REPO_ROOT, 'routing-rules.yaml'), 'utf8')) as Record<string, unknown>;
    const cluster = YAML.parse(configMap.data['routing-rules.yaml']) as Record<string, unknown>;
    expect(Object.keys(cluster.upstreams as object)).toEqual(Object.keys(shipped.upstreams as object));
    expect({ ...cluster, upstreams: null }).toEqual({ ...shipped, upstreams: null });
  });

  test('resource requests and limits are set (the HPA scales on CPU against the request)', () => {
    expect(proxy.resources.requests).toEqual({ cpu: expect.any(String), memory: expect.any(String) });
    expect(proxy.resources.limits).toEqual({ cpu: expect.any(String), memory: expect.any(String) });
    const hpa = find(objects, 'HorizontalPodAutoscaler', 'strangler')[0] as K8sObject & { spec: { scaleTargetRef: { kind: string; name: string }; minReplicas: number; maxReplicas: number; metrics: Array<{ resource?: { name: string } }> } };
    expect(hpa.spec.scaleTargetRef).toMatchObject({ kind: 'Deployment', name: deployment.metadata.name });
    expect(hpa.spec.minReplicas).toBeGreaterThanOrEqual(2);
    expect(hpa.spec.maxReplicas).toBeGreaterThan(hpa.spec.minReplicas);
    expect(hpa.spec.metrics.map((m) => m.resource?.name)).toEqual(['cpu']);
  });

  test('a PodDisruptionBudget covers the proxy pods and leaves at least one serving', () => {
    const pdb = find(objects, 'PodDisruptionBudget', 'strangler')[0] as K8sObject & { spec: { selector: { matchLabels: Record<string, string> }; maxUnavailable?: number; minAvailable?: number } };
    expect(matches(pdb.spec.selector.matchLabels, podLabels)).toBe(true);
    if (pdb.spec.maxUnavailable !== undefined) expect(pdb.spec.maxUnavailable).toBeLessThan(deployment.spec.replicas);
    else expect(pdb.spec.minAvailable).toBeGreaterThanOrEqual(1);
  });

  test('non-root (the image\'s user), read-only root file system; everything the proxy writes is on an emptyDir', () => {
    expect(pod.securityContext).toMatchObject({ runAsNonRoot: true, runAsUser: Number(all(image, 'USER')[0].args.split(':')[0]) });
    expect(proxy.securityContext).toMatchObject({ readOnlyRootFilesystem: true, allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] } });
    const emptyDirs = new Set(pod.volumes.filter((v) => v.emptyDir !== undefined).map((v) => v.name));
    const writable = proxy.volumeMounts.filter((m) => emptyDirs.has(m.name)).map((m) => m.mountPath);
    const onWritable = (dir: string): boolean => writable.some((m) => dir === m || dir.startsWith(`${m}/`));
    const unleashBackup = env.UNLEASH_BACKUP_DIR ?? path.posix.join('/app', 'data');
    for (const dir of [path.posix.dirname(config.diffDb), unleashBackup, '/tmp']) expect({ dir, writable: onWritable(dir) }).toEqual({ dir, writable: true });
  });

  test('termination: a preStop pause with what the image has, then a grace period longer than pause + drain + mirrors', () => {
    const command = proxy.lifecycle!.preStop!.exec!.command;
    expect(command.slice(0, 2)).toEqual(['node', '-e']);
    expect(execForm(all(image, 'ENTRYPOINT')[0].args)[0]).toBe('node');
    expect(() => new vm.Script(command[2])).not.toThrow();
    const pauseMs = Number(/setTimeout\(\(\) => \{\}, (\d+)\)/.exec(command[2])?.[1]);
    expect(pauseMs).toBeGreaterThanOrEqual(3000);
    const graceMs = (pod.terminationGracePeriodSeconds ?? 30) * 1000;
    expect(graceMs).toBeGreaterThan(pauseMs + SHUTDOWN_DRAIN_MS + config.shadowTimeoutMs);
  });
});

describe('the proxy started with the Deployment\'s environment', () => {
  // As in the pod, except what a test must not do: listen on every interface (127.0.0.1 instead),
  // take fixed ports (0), or write outside a temp dir.
  const POD_IP = '10.244.3.17';
  let started: Awaited<ReturnType<typeof startTestProxyOn>>;
  beforeAll(async () => {
    const configMap = find(objects, 'ConfigMap', 'strangler-rules')[0] as K8sObject & { data: Record<string, string> };
    const volume = new ConfigMapVolume(tempDir('k8s-configmap'), configMap.data);
    const data = tempDir('k8s-data');
    const rulesFile = volume.path(path.posix.basename(config.rulesFile));
    started = await startTestProxyOn(rulesFile, {
      ...envOf({ 'status.podIP': POD_IP }),
      STRANGLER_RULES: rulesFile, ADMIN_HOST: '127.0.0.1', PROXY_HOST: '127.0.0.1', PROXY_PORT: '0', ADMIN_PORT: '0',
      STRANGLER_DIFF_DB: path.join(data, 'diffs.sqlite'), UNLEASH_BACKUP_DIR: data,
    }, data);
  }, 20000);
  afterAll(async () => { await started?.stop(); });

  test('answers kubelet\'s probes and Prometheus\'s scrape, which name the pod IP in Host; another pod\'s IP is refused', async () => {
    const asKubelet = (probe: Probe): Promise<number> => request({
      port: started.adminPort, path: probe.httpGet!.path, host: `${POD_IP}:${started.adminPort}`, headers: { 'user-agent': 'kube-probe/1.32', accept: '*/*' },
    }).then((r) => r.status);
    expect(await asKubelet(proxy.startupProbe!)).toBe(200);
    expect(await asKubelet(proxy.readinessProbe)).toBe(200);
    expect(await asKubelet(proxy.livenessProbe)).toBe(200);
    const scrape = await request({ port: started.adminPort, path: deployment.spec.template.metadata.annotations!['prometheus.io/path'], host: `${POD_IP}:${started.adminPort}`, headers: { 'user-agent': 'Prometheus/2.42.0' } });
    expect(scrape.status).toBe(200);
    expect(scrape.body).toContain('strangler_rules_epoch 1');
    expect((await request({ port: started.adminPort, path: '/healthz', host: `10.244.3.18:${started.adminPort}` })).status).toBe(403);
  });
});
