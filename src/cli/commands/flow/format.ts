/** How flow times are shown: local time, minutes, "Never"/"N/A" as the original cao. */
export function when(iso: string | null, none = 'N/A'): string {
  if (!iso) return none;
  const d = new Date(iso);
  const p = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())} ${p(d.getHours())}:${p(d.getMinutes())}`;
}

export const cell = (s: string, width: number) => (s.length > width - 1 ? `${s.slice(0, width - 2)}… ` : s.padEnd(width));
