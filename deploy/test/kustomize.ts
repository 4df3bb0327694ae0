import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import YAML from 'yaml';

export type K8sObject = { apiVersion: string; kind: string; metadata: { name: string; [key: string]: unknown }; [key: string]: unknown };
export interface Rendered { readonly objects: K8sObject[]; readonly by: 'kubectl kustomize' | 'the files read as YAML'; readonly note: string }

interface Kustomization {
  resources?: string[];
  configMapGenerator?: Array<{ name: string; files?: string[]; options?: { disableNameSuffixHash?: boolean } }>;
  images?: Array<{ name: string; newName?: string; newTag?: string; digest?: string }>;
}
/** What `renderFromFiles` understands; anything else in the kustomization is an error, never ignored. */
const UNDERSTOOD = new Set(['apiVersion', 'kind', 'resources', 'configMapGenerator', 'images']);

export function readKustomization(dir: string): Kustomization {
  return YAML.parse(fs.readFileSync(path.join(dir, 'kustomization.yaml'), 'utf8')) as Kustomization;
}

/** `kubectl kustomize DIR` when kubectl is there and works offline; else the files, applied by `renderFromFiles`. */
export function render(dir: string): Rendered {
  const kubectl = spawnSync('kubectl', ['kustomize', dir], { encoding: 'utf8', timeout: 60_000 });
  if (kubectl.status === 0) return { objects: parseAll(kubectl.stdout), by: 'kubectl kustomize', note: '' };
  const why = kubectl.error ? kubectl.error.message : `kubectl kustomize exited ${kubectl.status}: ${kubectl.stderr.trim().split('\n')[0]}`;
  return { objects: renderFromFiles(dir), by: 'the files read as YAML', note: why };
}

/**
 * The kustomization applied by hand: its resources, its generated ConfigMaps and its image
 * overrides, which is all ours uses.
 */
export function renderFromFiles(dir: string): K8sObject[] {
  const k = readKustomization(dir);
  const unknown = Object.keys(k).filter((key) => !UNDERSTOOD.has(key));
  if (unknown.length > 0) throw new Error(`renderFromFiles does not apply ${unknown.join(', ')}: teach it, or kubectl-less runs would test something else`);
  const objects: K8sObject[] = [];
  for (const generator of k.configMapGenerator ?? []) {
    if (generator.options?.disableNameSuffixHash !== true) throw new Error(`configMapGenerator ${generator.name}: only disableNameSuffixHash: true is rendered here`);
    const data: Record<string, string> = {};
    for (const file of generator.files ?? []) data[path.basename(file)] = fs.readFileSync(path.join(dir, file), 'utf8');
    objects.push({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: generator.name }, data });
  }
  for (const resource of k.resources ?? []) objects.push(...parseAll(fs.readFileSync(path.join(dir, resource), 'utf8')));
  for (const object of objects) {
    const spec = (object.spec as { template?: { spec?: { containers?: Array<{ image: string }>; initContainers?: Array<{ image: string }> } } } | undefined)?.template?.spec;
    for (const container of [...(spec?.containers ?? []), ...(spec?.initContainers ?? [])]) {
      const image = (k.images ?? []).find((i) => container.image.replace(/[:@].*$/, '') === i.name);
      if (image === undefined) continue;
      const name = image.newName ?? image.name;
      container.image = image.digest ? `${name}@${image.digest}` : `${name}:${image.newTag ?? (container.image.split(':')[1] ?? 'latest')}`;
    }
  }
  return objects;
}

function parseAll(text: string): K8sObject[] {
  return YAML.parseAllDocuments(text).map((d) => d.toJS() as K8sObject | null).filter((o): o is K8sObject => o !== null);
}

export function find(objects: readonly K8sObject[], kind: string, name?: string): K8sObject[] {
  return objects.filter((o) => o.kind === kind && (name === undefined || o.metadata.name === name));
}
