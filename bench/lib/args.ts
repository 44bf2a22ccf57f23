/**
 * `--name=value` / `--name value` flags of a bench script: the text after the flag, or undefined
 * when the flag is not given. A flag given without a value is an error.
 */
export function stringFlag(name: string, argv = process.argv.slice(2)): string | undefined {
  const index = argv.findIndex((a) => a === `--${name}` || a.startsWith(`--${name}=`));
  if (index < 0) return undefined;
  const arg = argv[index];
  const text = arg.includes('=') ? arg.slice(arg.indexOf('=') + 1) : argv[index + 1];
  if (text === undefined || text === '') throw new RangeError(`--${name} needs a value`);
  return text;
}

/** A positive numeric flag, checked. */
export function numberFlag(name: string, fallback: number, argv = process.argv.slice(2)): number {
  const text = stringFlag(name, argv);
  if (text === undefined) return fallback;
  const value = Number(text);
  if (!Number.isFinite(value) || value <= 0) {
    throw new RangeError(`--${name} must be a positive number, got ${JSON.stringify(text)}`);
  }
  return value;
}

/** A comma-separated list of positive integers, e.g. --dims 100,1000. */
export function integerListFlag(
  name: string,
  fallback: number[],
  argv = process.argv.slice(2),
): number[] {
  const text = stringFlag(name, argv);
  if (text === undefined) return fallback;
  const values = text.split(',').map(Number);
  if (values.some((v) => !Number.isInteger(v) || v <= 0)) {
    throw new RangeError(
      `--${name} must be a comma-separated list of positive integers, got ${JSON.stringify(text)}`,
    );
  }
  return values;
}

/** The command a result file records: the npm script and the flags it was given, to re-run it. */
export function invocation(script: string, argv = process.argv.slice(2)): string {
  return `npm run ${script}${argv.length > 0 ? ` -- ${argv.join(' ')}` : ''}`;
}
