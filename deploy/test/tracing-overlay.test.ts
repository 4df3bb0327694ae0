/**
 * deploy/kubernetes/tracing: an overlay over the base whose patch sets the OTEL_* variables on the
 * base Deployment's proxy container, and a proxy started with them has tracing on.
 */
import fs from 'node:fs';
import path from 'node:path';
import YAML from 'yaml';
import { tracingConfigFromEnv } from '../../proxy/tracing/otel-env';
import { REPO_ROOT } from '../../scripts/testing/processes';
import { find, renderFromFiles } from './kustomize';

const DIR = path.join(REPO_ROOT, 'deploy', 'kubernetes', 'tracing');

interface Patch { kind: string; metadata: { name: string }; spec: { template: { spec: { containers: Array<{ name: string; env: Array<{ name: string; value: string }> }> } } } }

test('the overlay builds on the base and patches its proxy container with the OTEL variables', () => {
  const overlay = YAML.parse(fs.readFileSync(path.join(DIR, 'kustomization.yaml'), 'utf8')) as { resources: string[]; patches: Array<{ path: string }> };
  expect(overlay.resources).toEqual(['..']);
  const patch = YAML.parse(fs.readFileSync(path.join(DIR, overlay.patches[0].path), 'utf8')) as Patch;
  const [base] = find(renderFromFiles(path.join(DIR, '..')), patch.kind, patch.metadata.name) as unknown as Patch[];
  const [patched] = patch.spec.template.spec.containers;
  expect(base.spec.template.spec.containers.map((c) => c.name)).toContain(patched.name);
  const env = Object.fromEntries(patched.env.map((e) => [e.name, e.value]));
  expect(Object.keys(env).every((name) => name.startsWith('OTEL_'))).toBe(true);
  expect(tracingConfigFromEnv(env)).toEqual({ tracesUrl: 'http://otel-collector.observability:4318/v1/traces', protocol: 'http/protobuf', sampler: 'parentbased_traceidratio:0.01' });
});
