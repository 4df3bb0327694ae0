import type { FlagState } from './flag-state';

/** One parent of an Unleash dependent feature, as the client API sends it. */
export interface Dependency {
  readonly feature: string;
  /** false: the child is on only where the parent is off. Absent means true. */
  readonly enabled?: boolean;
  /** The child is on only where the parent gives one of these variants. */
  readonly variants?: readonly string[];
}

/** A parent as far as the ceiling needs it: its own state, and whether it has parents itself. */
export interface ParentFacts {
  readonly hasParents: boolean;
  readonly state: FlagState | null;
}

/**
 * The most of the shoppers a flag's parents let through, for /status: a child is on only where
 * every parent condition holds (unleash-client checks them before the child's own strategies), so
 * its share is at most each parent's. The shoppers themselves are always picked by the SDK.
 */
export function dependencyCeiling(dependencies: readonly Dependency[], parentOf: (name: string) => ParentFacts | undefined): { percent: number; notes: string[] } {
  let percent = 100;
  const notes: string[] = [];
  for (const dependency of dependencies) {
    const name = dependency.feature;
    const parent = parentOf(name);
    const wantsOn = dependency.enabled !== false;
    let most = 100;
    if (parent === undefined) {
      most = 0;
      notes.push(`parent "${name}" is not known: off for everyone`);
    } else if (parent.hasParents) {
      // unleash-client does not follow a parent's own parents: it counts the dependency as unmet.
      most = 0;
      notes.push(`parent "${name}" depends on other flags itself, which Unleash treats as unmet: off for everyone`);
    } else if (wantsOn) {
      most = parent.state === null ? 100 : parent.state.enabled ? parent.state.rolloutPercent : 0;
      const variants = (dependency.variants ?? []).length > 0 ? ` with variant ${dependency.variants!.join(' or ')}` : '';
      notes.push(most === 0 ? `parent "${name}" is disabled: off for everyone` : `depends on parent "${name}": on only where it is on${variants}`);
    } else {
      const exactParent = parent.state !== null && parent.state.byPercentAlone === true;
      most = !parent.state?.enabled ? 100 : exactParent ? 100 - parent.state!.rolloutPercent : 100;
      notes.push(most === 0 ? `parent "${name}" is on for everyone and must be off: off for everyone` : `depends on parent "${name}" being off: on only where it is off`);
    }
    percent = Math.min(percent, most);
  }
  return { percent, notes };
}
