// Numbers and times as an operator reads them. Amounts stay decimal strings from the API to the
// screen: nothing here turns money into a float.

/** A decimal string without trailing zeros (`25.500` -> `25.5`, `-0` -> `0`). */
export function normalize(decimal: string): string {
  let s = decimal.trim();
  if (s.includes('.')) s = s.replace(/0+$/, '').replace(/\.$/, '');
  if (/^-0*$/.test(s) || s === '') return '0';
  return s;
}

/** Whether two decimal strings are the same number. */
export function sameAmount(a: string | undefined, b: string | undefined): boolean {
  return normalize(a ?? '0') === normalize(b ?? '0');
}

/** A decimal string with exactly `places` decimals (cut, not rounded: the core reports ratios cut). */
export function fixed(decimal: string, places: number): string {
  const [whole, frac = ''] = normalize(decimal).split('.');
  return places === 0 ? whole : `${whole}.${frac.padEnd(places, '0').slice(0, places)}`;
}

/** A reserve ratio as the dashboard shows it: six decimals, or a dash when nothing is owed. */
export function ratio(value: string | null | undefined): string {
  return value == null ? '—' : fixed(value, 6);
}

/** Milliseconds since 1970 or an RFC 3339 text, as a short UTC time. */
export function time(value: number | string | null | undefined): string {
  if (value == null) return '—';
  const d = new Date(value);
  return Number.isNaN(d.getTime()) ? String(value) : d.toISOString().replace('T', ' ').replace(/\.\d+Z$/, 'Z');
}

/** A long id or address shortened for a table cell (the full text stays in the title). */
export function short(text: string, keep = 10): string {
  return text.length <= keep * 2 + 1 ? text : `${text.slice(0, keep)}…${text.slice(-6)}`;
}

/** The sum of two decimal strings, exactly (BigInt over a common scale). */
export function addDecimal(a: string, b: string): string {
  const parse = (s: string): [bigint, number] => {
    const t = s.trim();
    const neg = t.startsWith('-');
    const [whole, frac = ''] = t.replace(/^[-+]/, '').split('.');
    const digits = BigInt((whole || '0') + frac);
    return [neg ? -digits : digits, frac.length];
  };
  const [x, sx] = parse(a);
  const [y, sy] = parse(b);
  const scale = Math.max(sx, sy);
  const sum = x * 10n ** BigInt(scale - sx) + y * 10n ** BigInt(scale - sy);
  const neg = sum < 0n;
  const digits = (neg ? -sum : sum).toString().padStart(scale + 1, '0');
  const text = scale === 0 ? digits : `${digits.slice(0, -scale)}.${digits.slice(-scale)}`;
  return normalize(`${neg ? '-' : ''}${text}`);
}
