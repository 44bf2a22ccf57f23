/**
 * The `jetpinn` tool: picks the command, parses its flags, runs it, and turns every failure into
 * a message on stderr and an exit code (exitCodes.ts) instead of a stack trace.
 */
import { formatFlags, parseFlags, UsageError, wantsHelp } from './args.ts';
import type { Command } from './command.ts';
import { evalCommand } from './evaluate.ts';
import { exitCodes } from './exitCodes.ts';
import { exportCommand } from './exportModel.ts';
import type { CliIo } from './io.ts';
import { jetCommand } from './jet.ts';
import { trainCommand } from './train.ts';

export const COMMANDS: readonly Command[] = [trainCommand, evalCommand, jetCommand, exportCommand];

function toolHelp(): string {
  const width = Math.max(...COMMANDS.map((c) => c.name.length)) + 2;
  return (
    'Usage: jetpinn <command> [flags]\n\n' +
    'Physics-informed neural networks trained with Taylor-mode jets (STDE) on WebGPU.\n\n' +
    'Commands:\n' +
    COMMANDS.map((c) => `  ${c.name.padEnd(width)}${c.summary}`).join('\n') +
    '\n\n`jetpinn <command> --help` lists the flags of a command with their defaults.\n'
  );
}

function commandHelp(command: Command): string {
  return (
    `Usage: jetpinn ${command.name} [flags]\n\n${command.description}\n\n` +
    `Flags:\n${formatFlags(command.flags)}\n`
  );
}

/** Runs the tool on `argv` (the arguments after `jetpinn`); resolves to the exit code. */
export async function runCli(argv: readonly string[], io: CliIo): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    io.stdout(toolHelp());
    return name === undefined ? exitCodes.usage : exitCodes.ok;
  }
  const command = COMMANDS.find((c) => c.name === name);
  try {
    if (!command) {
      throw new UsageError(
        `unknown command ${JSON.stringify(name)} (commands: ${COMMANDS.map((c) => c.name).join(', ')})`,
      );
    }
    if (wantsHelp(rest)) {
      io.stdout(commandHelp(command));
      return exitCodes.ok;
    }
    return await command.run(parseFlags(rest, command.flags, command.name), io);
  } catch (error) {
    const prefix = command ? `jetpinn ${command.name}` : 'jetpinn';
    if (error instanceof UsageError) {
      io.stderr(`${prefix}: ${error.message}\n`);
      return exitCodes.usage;
    }
    const message = error instanceof Error ? error.message : String(error);
    io.stderr(`${prefix}: ${message}\n`);
    return exitCodes.failure;
  }
}
