import type { CliIo } from '../../../src/cli/io.ts';

/** A CliIo that records what a command prints. */
export function fakeIo(isTTY = false): CliIo & { out: string; err: string } {
  const io = {
    out: '',
    err: '',
    isTTY,
    stdout: (text: string) => {
      io.out += text;
    },
    stderr: (text: string) => {
      io.err += text;
    },
  };
  return io;
}
