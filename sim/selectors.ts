// Label and field selectors with the syntax of k8s.io/apimachinery/pkg/labels and pkg/fields.
import { badRequest } from './status.js';

export type Matcher = (fields: Record<string, string | undefined>) => boolean;

interface LabelRequirement {
  key: string;
  op: 'exists' | '!exists' | '=' | '!=' | 'in' | 'notin' | 'gt' | 'lt';
  values: string[];
}

const LABEL_KEY =
  /^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\/)?[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/;
const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;

function splitTopLevel(s: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let cur = '';
  for (const ch of s) {
    if (ch === '(') depth++;
    else if (ch === ')') depth--;
    if (ch === ',' && depth === 0) {
      out.push(cur);
      cur = '';
    } else cur += ch;
  }
  out.push(cur);
  return out;
}

function checkKey(key: string, whole: string): string {
  if (!LABEL_KEY.test(key) || key.length > 316) {
    throw badRequest(`unable to parse requirement: invalid label key "${key}": in selector "${whole}"`);
  }
  return key;
}

function checkValue(v: string): string {
  if (!LABEL_VALUE.test(v) || v.length > 63) {
    throw badRequest(
      `unable to parse requirement: values[0][${v}]: Invalid value: "${v}": a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')`,
    );
  }
  return v;
}

export function parseLabelSelector(selector: string | null | undefined): LabelRequirement[] {
  const reqs: LabelRequirement[] = [];
  if (!selector || !selector.trim()) return reqs;
  for (const raw of splitTopLevel(selector)) {
    const part = raw.trim();
    if (!part) throw badRequest(`unable to parse requirement: found '', expected: identifier`);
    let m: RegExpMatchArray | null;
    if ((m = part.match(/^(\S+?)\s+(in|notin)\s*\(([^)]*)\)$/))) {
      const values = m[3]
        .split(',')
        .map((v) => v.trim())
        .map(checkValue);
      reqs.push({ key: checkKey(m[1], selector), op: m[2] as 'in' | 'notin', values });
    } else if ((m = part.match(/^!\s*(\S+)$/))) {
      reqs.push({ key: checkKey(m[1], selector), op: '!exists', values: [] });
    } else if ((m = part.match(/^([^=!<>\s]+)\s*(==|=|!=|>|<)\s*(.*)$/))) {
      const op = m[2] === '==' || m[2] === '=' ? '=' : m[2] === '!=' ? '!=' : m[2] === '>' ? 'gt' : 'lt';
      const value = m[3].trim();
      if (op === 'gt' || op === 'lt') {
        if (!/^-?\d+$/.test(value))
          throw badRequest(`unable to parse requirement: for 'Gt', 'Lt' operators, the value must be an integer`);
      } else checkValue(value);
      reqs.push({ key: checkKey(m[1], selector), op, values: [value] });
    } else if (/^\S+$/.test(part)) {
      reqs.push({ key: checkKey(part, selector), op: 'exists', values: [] });
    } else {
      throw badRequest(`unable to parse requirement: found '${part}', expected: !, identifier, or 'end of string'`);
    }
  }
  return reqs;
}

export function labelMatcher(selector: string | null | undefined): Matcher | undefined {
  const reqs = parseLabelSelector(selector);
  if (reqs.length === 0) return undefined;
  return (labels) => {
    for (const r of reqs) {
      const v = labels[r.key];
      switch (r.op) {
        case 'exists':
          if (v === undefined) return false;
          break;
        case '!exists':
          if (v !== undefined) return false;
          break;
        case '=':
          if (v !== r.values[0]) return false;
          break;
        case '!=':
          if (v === r.values[0]) return false;
          break;
        case 'in':
          if (v === undefined || !r.values.includes(v)) return false;
          break;
        case 'notin':
          if (v !== undefined && r.values.includes(v)) return false;
          break;
        case 'gt':
        case 'lt': {
          if (v === undefined || !/^-?\d+$/.test(v)) return false;
          const n = Number(v);
          const w = Number(r.values[0]);
          if (r.op === 'gt' ? !(n > w) : !(n < w)) return false;
          break;
        }
      }
    }
    return true;
  };
}

interface FieldRequirement {
  field: string;
  equal: boolean;
  value: string;
}

function splitUnescaped(s: string, sep: string): string[] {
  const out: string[] = [];
  let cur = '';
  for (let i = 0; i < s.length; i++) {
    const ch = s[i];
    if (ch === '\\' && i + 1 < s.length) {
      cur += ch + s[i + 1];
      i++;
    } else if (ch === sep) {
      out.push(cur);
      cur = '';
    } else cur += ch;
  }
  out.push(cur);
  return out;
}

function unescapeFieldValue(v: string): string {
  return v.replace(/\\(.)/g, '$1');
}

export function parseFieldSelector(selector: string | null | undefined): FieldRequirement[] {
  const reqs: FieldRequirement[] = [];
  if (!selector || !selector.trim()) return reqs;
  for (const part of splitUnescaped(selector, ',')) {
    const m = part.match(/^([^=!]+?)(==|=|!=)(.*)$/s);
    if (!m) throw badRequest(`invalid selector: '${selector}'; can't understand '${part}'`);
    reqs.push({ field: m[1].trim(), equal: m[2] !== '!=', value: unescapeFieldValue(m[3]) });
  }
  return reqs;
}

/** Builds a matcher over a kind's selectable fields; unknown fields answer 400 like the real server. */
export function fieldMatcher(selector: string | null | undefined, supported: ReadonlySet<string>): Matcher | undefined {
  const reqs = parseFieldSelector(selector);
  if (reqs.length === 0) return undefined;
  for (const r of reqs) {
    if (!supported.has(r.field)) throw badRequest(`field label not supported: ${r.field}`);
  }
  return (fields) => {
    for (const r of reqs) {
      const v = fields[r.field] ?? '';
      if ((v === r.value) !== r.equal) return false;
    }
    return true;
  };
}
