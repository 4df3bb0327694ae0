import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import YAML from 'yaml';
import { REPO_ROOT } from '../../scripts/testing/processes';

const DIR = path.join(REPO_ROOT, 'deploy', 'prometheus');
const version = spawnSync('promtool', ['--version'], { encoding: 'utf8', timeout: 10000 });
const promtool = version.status === 0;
const onCi = process.env.CI === 'true';
const MISSING = 'promtool is not installed: run `bash scripts/install-promtool.sh` as root (Debian\'s prometheus package), or put Prometheus\'s promtool on the PATH';

interface Rule { alert: string; expr: string; for?: string; labels?: Record<string, string>; annotations?: Record<string, string> }
const groups = (YAML.parse(fs.readFileSync(path.join(DIR, 'alerts.yml'), 'utf8')) as { groups: Array<{ name: string; rules: Rule[] }> }).groups;
const rules = groups.flatMap((g) => g.rules);

const runPromtool = (args: string[]): { status: number | null; output: string } => {
  const run = spawnSync('promtool', args, { cwd: REPO_ROOT, encoding: 'utf8', timeout: 60_000 });
  return { status: run.status, output: `${run.stdout}${run.stderr}`.trim() };
};

describe('deploy/prometheus/alerts.yml with promtool', () => {
  if (promtool) {
    test(`promtool check rules (${version.stdout.split('\n')[0]})`, () => {
      expect(runPromtool(['check', 'rules', 'deploy/prometheus/alerts.yml'])).toEqual({ status: 0, output: expect.stringContaining(`SUCCESS: ${rules.length} rules found`) });
    });
    test('promtool test rules: every alert firing and not firing', () => {
      expect(runPromtool(['test', 'rules', 'deploy/prometheus/alerts.test.yml'])).toEqual({ status: 0, output: expect.stringContaining('SUCCESS') });
    });
  } else if (onCi) {
    test('promtool is there (CI must check and unit-test the alerts)', () => {
      throw new Error(MISSING);
    });
  } else {
    process.stderr.write(`SKIPPED promtool check rules / test rules: ${MISSING}\n`);
    test.skip(`promtool check rules and test rules (SKIPPED: ${MISSING})`, () => undefined);
  }
});

describe('every alert', () => {
  test('has a for:, a severity, a summary and a description; route alerts name the route, process alerts the instance', () => {
    for (const rule of rules) {
      const byRoute = /by \(route\)/.test(rule.expr);
      expect({ alert: rule.alert, for: typeof rule.for, severity: ['critical', 'warning'].includes(rule.labels?.severity ?? '') }).toEqual({ alert: rule.alert, for: 'string', severity: true });
      for (const key of ['summary', 'description'] as const) {
        const text = rule.annotations?.[key] ?? '';
        const names = byRoute ? text.includes('{{ $labels.route }}') : text.includes('{{ $labels.instance }}') || rule.alert === 'StranglerProxyAbsent';
        expect({ alert: rule.alert, key, names }).toEqual({ alert: rule.alert, key, names: true });
      }
    }
  });

  test('has a unit test showing it firing and one showing it not firing', () => {
    const tests = (YAML.parse(fs.readFileSync(path.join(DIR, 'alerts.test.yml'), 'utf8')) as { rule_files: string[]; tests: Array<{ alert_rule_test: Array<{ alertname: string; exp_alerts: unknown[] }> }> });
    expect(tests.rule_files).toEqual(['alerts.yml']);
    const cases = tests.tests.flatMap((t) => t.alert_rule_test);
    for (const rule of rules) {
      const mine = cases.filter((c) => c.alertname === rule.alert);
      expect({ alert: rule.alert, firing: mine.some((c) => c.exp_alerts.length > 0), quiet: mine.some((c) => c.exp_alerts.length === 0) }).toEqual({ alert: rule.alert, firing: true, quiet: true });
    }
  });
});
