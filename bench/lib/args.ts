/** `--name=value` / `--name value` numeric flags of a bench script, checked. */
export function numberFlag(name: string, fallback: number, argv = process.argv.slice(2)): number {
  const index = argv.findIndex((a) => a === `--${name}` || a.startsWith(`--${name}=`));
  if (index < 0) return fallback;
  const arg = argv[index];
  const text = arg.includes('=') ? arg.slice(arg.indexOf('=') + 1) : argv[index + 1];
  const value = Number(text);
  if (!Number.isFinite(value) || value <= 0) {
    throw new RangeError(`--${name} must be a positive number, got ${JSON.stringify(text)}`);
  }
  return value;
}
