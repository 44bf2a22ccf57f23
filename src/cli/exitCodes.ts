/**
 * Process exit codes of the jetpinn CLI. Scripts that drive long runs branch on them, so each
 * failure class keeps its own code: a wrong command line is not retried, a divergence may be
 * retried with other options, anything else (unreadable files, GPU failures) needs a look.
 */
export const exitCodes = {
  ok: 0,
  /** Runtime failure: a file that cannot be read, written or validated, a GPU error. */
  failure: 1,
  /** The command line is wrong: unknown command or flag, bad value. Nothing was run. */
  usage: 2,
  /** Training hit a non-finite loss or gradient; the last good weights were written. */
  diverged: 3,
} as const;
