/**
 * Entry point: `npm run cli -- <command> [flags]`. Sets the exit code instead of calling
 * process.exit, so pending writes to a piped stdout are flushed before Node exits.
 */
import { runCli } from './cli.ts';
import { processIo } from './io.ts';

process.exitCode = await runCli(process.argv.slice(2), processIo());
