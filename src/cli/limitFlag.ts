/** `--limit N`: a whole number from 1 to `max`, `fallback` when not given; undefined when it is not one. */
export function limitFlag(
  value: string | number | undefined,
  fallback: number,
  max: number,
): number | undefined {
  if (value === undefined) return fallback;
  const n = /^\d{1,4}$/.test(String(value)) ? Number(value) : NaN;
  return n >= 1 && n <= max ? n : undefined;
}
