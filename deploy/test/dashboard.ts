import fs from 'node:fs';
import path from 'node:path';
import { REPO_ROOT } from '../../scripts/testing/processes';

export interface Target { refId: string; expr: string; datasource: { type: string; uid: string } }
export interface Panel { id: number; type: string; title: string; gridPos: { x: number; y: number; w: number; h: number }; datasource?: { type: string; uid: string }; targets?: Target[] }
export interface Dashboard {
  __inputs: Array<{ name: string; type: string; pluginId: string }>;
  schemaVersion: number; uid: string; title: string;
  panels: Panel[];
  templating: { list: Array<{ name: string; type: string; datasource?: { uid: string }; query: string | { query: string } }> };
  annotations: { list: Array<{ expr?: string; datasource?: { uid: string } }> };
}

export const dashboard = JSON.parse(fs.readFileSync(path.join(REPO_ROOT, 'deploy', 'grafana', 'strangler.json'), 'utf8')) as Dashboard;

/** Every PromQL expression in the dashboard: panel targets, template variable queries, annotations. */
export function dashboardQueries(d: Dashboard = dashboard): Array<{ where: string; expr: string }> {
  const queries: Array<{ where: string; expr: string }> = [];
  for (const panel of d.panels) for (const t of panel.targets ?? []) queries.push({ where: `panel "${panel.title}" ${t.refId}`, expr: t.expr });
  for (const v of d.templating.list.filter((x) => x.type === 'query')) {
    const q = typeof v.query === 'string' ? v.query : v.query.query;
    // label_values(metric, label) is Grafana's, not PromQL: the metric is its first argument.
    const lv = /^label_values\(\s*([^,]+),\s*(\w+)\s*\)$/.exec(q);
    queries.push({ where: `variable $${v.name}`, expr: lv ? `${lv[1].trim()}{${lv[2]}=~".+"}` : q });
  }
  for (const a of d.annotations.list) if (a.expr !== undefined) queries.push({ where: 'annotation', expr: a.expr });
  return queries;
}

