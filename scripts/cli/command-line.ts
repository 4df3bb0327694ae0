/**
 * What every command shares about its command line: how it is called, how its options are parsed
 * (`--help` included) and how a usage error is said (one line, exit 2).
 */
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { commandUsage, isCommand, USAGE } from './usage';

/** One run of a command, as scripts/cli.ts hands it over. */
export interface CommandCall {
  /** The command's name as typed (`kill` and `unkill` share a module). */
  readonly command: string;
  /** What follows the command's name. */
  readonly args: string[];
  /** The whole command line after `strangler`, recorded with the changes a command makes. */
  readonly argv: readonly string[];
  /** The built dist/scripts/cli.js, which `start` runs again for each process it starts. */
  readonly cliPath: string;
}

/** A command: the exit code it ends with, or nothing for one that runs until it is stopped. */
export type Command = (call: CommandCall) => Promise<number | void>;

/** The command's output: stdout for results, stderr for warnings. */
export const out = (line: string): void => console.log(line);
export const warn = (line: string): void => { process.stderr.write(`${line}\n`); };

/** A usage error: one line saying what was wrong and where the command's usage is, exit 2. */
export function usageError(message: string, command: string | undefined): never {
  const help = isCommand(command) ? `strangler ${command} --help` : 'strangler --help';
  process.stderr.write(`strangler: ${message} (see \`${help}\`)\n`);
  process.exit(2);
}

/** Node's parseArgs complaint as one plain line naming the option (its own text suggests `--`). */
function parseArgsMessage(error: Error & { code?: string }, options: Record<string, unknown>): string {
  const option = /'(-{1,2}[^' ]+)/.exec(error.message)?.[1];
  const known = Object.keys(options).filter((name) => name !== 'help').map((name) => `--${name}`);
  if (error.code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION') return `unknown option ${option ?? error.message}${known.length ? `; this command takes ${known.join(', ')}` : '; this command takes no options'}`;
  if (error.code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE') {
    return /argument missing/.test(error.message) ? `${option} needs a value` : /does not take an argument/.test(error.message) ? `${option} takes no value` : error.message.split('\n')[0];
  }
  return error.message.split('\n')[0];
}

/** The command's options; `--help` / `-h` prints the command's usage and exits 0. */
export function parse<T extends NonNullable<ParseArgsConfig['options']>>(call: CommandCall, options: T) {
  let parsed;
  try {
    parsed = parseArgs({ args: call.args, options: { ...options, help: { type: 'boolean', short: 'h' } }, allowPositionals: true, strict: true });
  } catch (error) {
    return usageError(parseArgsMessage(error as Error, options), call.command);
  }
  if ((parsed.values as { help?: boolean }).help) {
    process.stdout.write(commandUsage(call.command) ?? USAGE);
    process.exit(0);
  }
  return parsed;
}

/** `--admin`, when given, must be the URL of the proxy's admin port. */
export function checkAdminOption(admin: string | undefined, command: string): void {
  if (admin === undefined) return;
  let ok = false;
  try {
    const url = new URL(admin);
    ok = url.protocol === 'http:' || url.protocol === 'https:';
  } catch {
    ok = false;
  }
  if (!ok) usageError(`--admin must be an http:// URL of the proxy's admin port, got "${admin}"`, command);
}

/** What a change is recorded as having been made by: this command line, and the user when known. */
export function whoRuns(argv: readonly string[]): string {
  const line = ['strangler', ...argv.map((arg) => (/^[\w./:=@%+,-]+$/.test(arg) ? arg : JSON.stringify(arg)))].join(' ');
  return process.env.USER ? `${line} (${process.env.USER})` : line;
}

/** For a command that takes options only. */
export function noArguments(positionals: readonly string[], command: string): void {
  if (positionals.length > 0) usageError(`${command} takes no arguments, got "${positionals[0]}"`, command);
}
