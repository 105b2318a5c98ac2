// A strict parser of the Prometheus text exposition format 0.0.4: it rejects what a Prometheus server would refuse
// (bad names, bad escapes, unparsable values, samples without a matching TYPE, duplicate series, broken histograms).
export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

export interface Family {
  name: string;
  type: string;
  help?: string;
  samples: Sample[];
}

const METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
const TYPES = new Set(['counter', 'gauge', 'histogram', 'summary', 'untyped']);

function parseValue(raw: string, line: number): number {
  // Prometheus reads values with Go's strconv.ParseFloat: Inf/NaN spellings are case-insensitive.
  if (/^\+?inf(inity)?$/i.test(raw)) return Infinity;
  if (/^-inf(inity)?$/i.test(raw)) return -Infinity;
  if (/^nan$/i.test(raw)) return NaN;
  if (!/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(raw)) throw new Error(`line ${line}: bad value "${raw}"`);
  return Number(raw);
}

function parseLabels(text: string, line: number): { labels: Record<string, string>; rest: string } {
  const labels: Record<string, string> = {};
  let i = 0;
  for (;;) {
    if (text[i] === '}') return { labels, rest: text.slice(i + 1) };
    const eq = text.indexOf('=', i);
    if (eq < 0) throw new Error(`line ${line}: label without "="`);
    const name = text.slice(i, eq);
    if (!LABEL_NAME.test(name)) throw new Error(`line ${line}: bad label name "${name}"`);
    if (name in labels) throw new Error(`line ${line}: duplicate label "${name}"`);
    if (text[eq + 1] !== '"') throw new Error(`line ${line}: label value not quoted`);
    let j = eq + 2;
    let value = '';
    for (;;) {
      const c = text[j];
      if (c === undefined) throw new Error(`line ${line}: unterminated label value`);
      if (c === '"') break;
      if (c === '\\') {
        const n = text[j + 1];
        if (n === '\\') value += '\\';
        else if (n === '"') value += '"';
        else if (n === 'n') value += '\n';
        else throw new Error(`line ${line}: bad escape "\\${n}"`);
        j += 2;
        continue;
      }
      value += c;
      j++;
    }
    labels[name] = value;
    i = j + 1;
    if (text[i] === ',') i++;
    else if (text[i] !== '}') throw new Error(`line ${line}: expected "," or "}" after a label`);
  }
}

/** The family a sample name belongs to: histogram and summary samples carry suffixes. */
function familyOf(name: string, families: Map<string, Family>): Family | undefined {
  const direct = families.get(name);
  if (direct) return direct;
  for (const suffix of ['_bucket', '_sum', '_count']) {
    if (!name.endsWith(suffix)) continue;
    const f = families.get(name.slice(0, -suffix.length));
    if (f && (f.type === 'histogram' || (f.type === 'summary' && suffix !== '_bucket'))) return f;
  }
  return undefined;
}

export function parsePrometheusText(text: string): Map<string, Family> {
  if (text.length > 0 && !text.endsWith('\n')) throw new Error('exposition does not end with a newline');
  const families = new Map<string, Family>();
  const seen = new Set<string>();
  const lines = text.split('\n');
  lines.forEach((raw, idx) => {
    const n = idx + 1;
    if (raw === '') return;
    if (raw.startsWith('#')) {
      const m = /^# (HELP|TYPE) (\S+) ?(.*)$/.exec(raw);
      if (!m) return; // a plain comment
      const [, kind, name, rest] = m as unknown as [string, string, string, string];
      if (!METRIC_NAME.test(name)) throw new Error(`line ${n}: bad metric name "${name}"`);
      let f = families.get(name);
      if (kind === 'TYPE') {
        if (!TYPES.has(rest)) throw new Error(`line ${n}: unknown type "${rest}"`);
        if (f?.type && f.samples.length > 0) throw new Error(`line ${n}: TYPE after samples of ${name}`);
        if (f && f.type !== 'untyped') throw new Error(`line ${n}: second TYPE for ${name}`);
        if (!f) families.set(name, (f = { name, type: rest, samples: [] }));
        f.type = rest;
      } else {
        if (f?.help !== undefined) throw new Error(`line ${n}: second HELP for ${name}`);
        if (!f) families.set(name, (f = { name, type: 'untyped', samples: [] }));
        f.help = rest;
      }
      return;
    }
    const nameMatch = /^[a-zA-Z_:][a-zA-Z0-9_:]*/.exec(raw);
    if (!nameMatch) throw new Error(`line ${n}: bad sample "${raw}"`);
    const name = nameMatch[0];
    let rest = raw.slice(name.length);
    let labels: Record<string, string> = {};
    if (rest.startsWith('{')) ({ labels, rest } = parseLabels(rest.slice(1), n));
    const parts = rest.trim().split(/\s+/);
    if (!rest.startsWith(' ') || parts.length < 1 || parts.length > 2)
      throw new Error(`line ${n}: bad sample "${raw}"`);
    const value = parseValue(parts[0]!, n);
    if (parts[1] !== undefined && !/^-?\d+$/.test(parts[1])) throw new Error(`line ${n}: bad timestamp`);
    const f = familyOf(name, families);
    if (!f) throw new Error(`line ${n}: sample ${name} has no TYPE`);
    const key = `${name}${JSON.stringify(Object.entries(labels).sort())}`;
    if (seen.has(key)) throw new Error(`line ${n}: duplicate series ${key}`);
    seen.add(key);
    f.samples.push({ name, labels, value });
  });
  for (const f of families.values()) if (f.type === 'histogram') checkHistogram(f);
  return families;
}

function checkHistogram(f: Family): void {
  const groups = new Map<string, Sample[]>();
  const counts = new Map<string, number>();
  for (const s of f.samples) {
    const { le, ...rest } = s.labels;
    const key = JSON.stringify(Object.entries(rest).sort());
    if (s.name === `${f.name}_bucket`) {
      if (le === undefined) throw new Error(`${f.name}: bucket without le`);
      groups.set(key, [...(groups.get(key) ?? []), s]);
    } else if (s.name === `${f.name}_count`) counts.set(key, s.value);
  }
  for (const [key, buckets] of groups) {
    let prev = -Infinity;
    let prevValue = 0;
    for (const b of buckets) {
      const le = parseValue(b.labels.le!, 0);
      if (le <= prev) throw new Error(`${f.name}: buckets not in increasing le order`);
      if (b.value < prevValue) throw new Error(`${f.name}: bucket counts decrease`);
      prev = le;
      prevValue = b.value;
    }
    if (prev !== Infinity) throw new Error(`${f.name}: no le="+Inf" bucket`);
    if (counts.get(key) !== prevValue) throw new Error(`${f.name}: _count differs from the +Inf bucket`);
  }
}

/** Value of the one sample of `name` whose labels include `labels`, or undefined. */
export function sampleValue(
  families: Map<string, Family>,
  name: string,
  labels: Record<string, string> = {},
): number | undefined {
  for (const f of families.values()) {
    for (const s of f.samples) {
      if (s.name !== name) continue;
      if (Object.entries(labels).every(([k, v]) => s.labels[k] === v)) return s.value;
    }
  }
  return undefined;
}
