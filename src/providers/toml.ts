/**
 * Just enough TOML to write values for a CLI's `-c key=value` overrides (Codex parses the value
 * part as TOML): strings with every character TOML requires escaped, floats that stay floats,
 * arrays and one-line inline tables. Never a hand-built string with unescaped quotes or
 * backslashes in it (the original cao broke on those).
 */

/** TOML text written as is (e.g. a float from tomlFloat inside a table). */
export class TomlRaw {
  constructor(readonly text: string) {}
}

export type TomlValue = string | number | boolean | TomlRaw | TomlValue[] | { [key: string]: TomlValue };

const SHORT_ESCAPES: Record<string, string> = { '\b': '\\b', '\t': '\\t', '\n': '\\n', '\f': '\\f', '\r': '\\r', '"': '\\"', '\\': '\\\\' };

/** A TOML basic string: `"…"` with quotes, backslashes and control characters escaped. */
export function tomlString(s: string): string {
  // TOML forbids raw U+0000–U+001F (except tab) and U+007F in basic strings; escape tab too.
  return `"${s.replace(/["\\\u0000-\u001f\u007f]/g, (c) => SHORT_ESCAPES[c] ?? `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`)}"`;
}

const BARE_KEY = /^[A-Za-z0-9_-]+$/;

/** A key: bare when TOML allows it, else a quoted string. */
export const tomlKey = (k: string): string => (BARE_KEY.test(k) ? k : tomlString(k));

/** A number that TOML reads as a float (`3600` → `3600.0`), for keys that must be floats. */
export function tomlFloat(n: number): string {
  if (!Number.isFinite(n)) throw new RangeError(`not a finite number: ${n}`);
  const s = String(n);
  return /[.eE]/.test(s) ? s : `${s}.0`;
}

/** Any value; integers stay integers (use tomlFloat where a float is required). */
export function tomlValue(v: TomlValue): string {
  if (typeof v === 'string') return tomlString(v);
  if (typeof v === 'boolean') return String(v);
  if (typeof v === 'number') {
    if (!Number.isFinite(v)) throw new RangeError(`not a finite number: ${v}`);
    return Number.isInteger(v) ? String(v) : tomlFloat(v);
  }
  if (v instanceof TomlRaw) return v.text;
  if (Array.isArray(v)) return `[${v.map(tomlValue).join(', ')}]`;
  return tomlInlineTable(v);
}

/** `{ k = v, … }` on one line (TOML inline tables cannot span lines; strings escape their newlines). */
export function tomlInlineTable(t: { [key: string]: TomlValue }): string {
  const entries = Object.entries(t).map(([k, v]) => `${tomlKey(k)} = ${tomlValue(v)}`);
  return entries.length === 0 ? '{}' : `{ ${entries.join(', ')} }`;
}
