/**
 * Just enough of a Dockerfile reader to test ours without a Docker daemon: instructions with
 * their continuation lines joined, grouped by stage, with the global ARG defaults substituted
 * into FROM lines.
 */
export interface Instruction { readonly keyword: string; readonly args: string; readonly line: number }
export interface Stage { readonly name: string; readonly from: string; readonly instructions: readonly Instruction[] }

export function parseDockerfile(text: string): { args: Record<string, string>; stages: Stage[] } {
  const instructions: Instruction[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const start = i;
    let line = lines[i];
    if (/^\s*(#|$)/.test(line)) continue;
    while (/\\\s*$/.test(line) && i + 1 < lines.length) {
      i++;
      if (/^\s*#/.test(lines[i])) continue; // comment lines inside a continuation are dropped
      line = line.replace(/\\\s*$/, ' ') + lines[i];
    }
    const match = /^\s*(\S+)\s*(.*)$/.exec(line)!;
    instructions.push({ keyword: match[1].toUpperCase(), args: match[2].replace(/\s+/g, ' ').trim(), line: start + 1 });
  }
  const args: Record<string, string> = {};
  const stages: Array<{ name: string; from: string; instructions: Instruction[] }> = [];
  for (const instruction of instructions) {
    if (instruction.keyword === 'FROM') {
      const [image, as, name] = instruction.args.split(' ');
      const from = image.replace(/\$\{(\w+)\}|\$(\w+)/g, (_m, a: string | undefined, b: string | undefined) => args[(a ?? b)!] ?? '');
      stages.push({ name: as?.toUpperCase() === 'AS' ? name : String(stages.length), from, instructions: [] });
    } else if (stages.length === 0) {
      if (instruction.keyword === 'ARG') {
        const [key, value] = instruction.args.split('=');
        args[key] = value ?? '';
      }
    } else {
      stages[stages.length - 1].instructions.push(instruction);
    }
  }
  return { args, stages };
}

/** The instructions of a stage with that keyword. */
export function all(stage: Stage, keyword: string): Instruction[] {
  return stage.instructions.filter((i) => i.keyword === keyword);
}

/** The JSON (exec) form of CMD / ENTRYPOINT / HEALTHCHECK CMD, which a shell never re-splits. */
export function execForm(args: string): string[] {
  const parsed: unknown = JSON.parse(args);
  if (!Array.isArray(parsed) || !parsed.every((a) => typeof a === 'string')) throw new Error(`not an exec-form array: ${args}`);
  return parsed as string[];
}

/** `COPY [--from=x] [--chown=…] src… dest`: the flags, the sources and the destination. */
export function copyParts(args: string): { from: string | null; sources: string[]; dest: string } {
  const words = args.split(' ');
  const flags = words.filter((w) => w.startsWith('--'));
  const rest = words.filter((w) => !w.startsWith('--'));
  const from = flags.find((f) => f.startsWith('--from='))?.slice('--from='.length) ?? null;
  return { from, sources: rest.slice(0, -1), dest: rest[rest.length - 1] };
}

/**
 * Whether `.dockerignore` leaves `file` (relative to the context) out of the build context. The
 * patterns are Docker's: anchored at the context root, `*` and `?` within one path segment, `**`
 * across any number; a pattern that matches a directory leaves out everything in it; `!` brings
 * a path back.
 */
export function dockerIgnored(patterns: readonly string[], file: string): boolean {
  const prefixes = file.split('/').map((_, i, parts) => parts.slice(0, i + 1).join('/'));
  let ignored = false;
  for (const raw of patterns) {
    const negated = raw.startsWith('!');
    const pattern = (negated ? raw.slice(1) : raw).replace(/^\/+|\/+$/g, '');
    const regex = new RegExp(`^${pattern.split('/').map((part) => (part === '**' ? '.*' : part.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '[^/]*').replace(/\?/g, '[^/]'))).join('/').replace(/\.\*\//g, '(?:.*/)?')}$`);
    if (prefixes.some((p) => regex.test(p))) ignored = !negated;
  }
  return ignored;
}

export function dockerignorePatterns(text: string): string[] {
  return text.split('\n').map((l) => l.trim()).filter((l) => l !== '' && !l.startsWith('#'));
}
