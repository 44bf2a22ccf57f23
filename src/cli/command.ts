import type { FlagSpec, ParsedFlags } from './args.ts';
import type { CliIo } from './io.ts';

/** One `jetpinn <name>` command: its flags (which also make its help) and what it does. */
export interface Command {
  readonly name: string;
  /** One line for the tool's help. */
  readonly summary: string;
  /** The command's help text between the usage line and the flags. */
  readonly description: string;
  readonly flags: readonly FlagSpec[];
  /** Resolves to the exit code; throws UsageError for a bad command line. */
  run(flags: ParsedFlags, io: CliIo): Promise<number>;
}
