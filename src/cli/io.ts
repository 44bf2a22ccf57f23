/**
 * What a command may touch of the process: its two output streams and whether stdout is a
 * terminal. Commands take this instead of `process`, so the unit tests run them against
 * strings, and files go through the two helpers below.
 */
import { readFileSync, renameSync, writeFileSync } from 'node:fs';

export interface CliIo {
  stdout(text: string): void;
  stderr(text: string): void;
  /** stdout is a terminal: progress may redraw one line instead of printing one per log. */
  readonly isTTY: boolean;
}

export function processIo(): CliIo {
  return {
    stdout: (text) => process.stdout.write(text),
    stderr: (text) => process.stderr.write(text),
    isTTY: process.stdout.isTTY === true,
  };
}

/** A file a command cannot read, reported with the flag that named it. */
class InputFileError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'InputFileError';
  }
}

export function readTextFile(path: string, flag: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (error) {
    throw new InputFileError(`cannot read ${flag} ${path}: ${(error as Error).message}`);
  }
}

/** The file's bytes, for inputs that are not text (safetensors models). */
export function readBinaryFile(path: string, flag: string): Uint8Array {
  try {
    return readFileSync(path);
  } catch (error) {
    throw new InputFileError(`cannot read ${flag} ${path}: ${(error as Error).message}`);
  }
}

/**
 * Writes through a temporary file and a rename, so a run killed mid-write leaves the previous
 * checkpoint or model intact instead of a truncated one (rename is atomic on one file system).
 */
export function writeFileAtomic(path: string, contents: string | Uint8Array): void {
  const temporary = `${path}.${process.pid}.tmp`;
  writeFileSync(temporary, contents);
  renameSync(temporary, path);
}
