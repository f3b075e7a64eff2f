/**
 * A strict evaluator for the few Jinja forms FaceGate's Home Assistant templates use, with Jinja's
 * (Python's) semantics where they differ from JavaScript's, so a test can check what HA will
 * render: `{{ expr }}` blocks in text; literals (strings, numbers, true/false/none in either case,
 * dicts, lists); variables; `a.b` (a dict's method first, then its item, as Jinja's getattr does);
 * calls of `dict.get(k)` and the global `dict(mapping, k=v)`; `==`, `!=`, `and`, `or`, `not`;
 * `x if c else y`; the filters `tojson` and `default(v)`. Anything else throws, so a template that
 * leaves this subset fails the test instead of being judged by guesswork.
 *
 * Undefined (a missing key) renders as '', is falsy, equals nothing; its attributes and `tojson`
 * throw (as Jinja's default Undefined does). None renders as "None", booleans as "True"/"False",
 * floats as Python's repr.
 */

export const UNDEFINED: unique symbol = Symbol('Undefined');
type Value = null | boolean | number | string | Value[] | { [k: string]: Value } | typeof UNDEFINED | ((...a: Value[]) => Value) | Kw;
/** Keyword arguments of a call. */
class Kw {
  constructor(readonly kw: Record<string, Value>) {}
}

type Tok = { t: 'str' | 'num' | 'name' | 'op'; v: string };

function tokenize(src: string): Tok[] {
  const out: Tok[] = [];
  let i = 0;
  while (i < src.length) {
    const c = src[i];
    if (/\s/.test(c)) { i++; continue; }
    if (c === '"' || c === "'") {
      let j = i + 1;
      let s = '';
      while (j < src.length && src[j] !== c) {
        if (src[j] === '\\') throw new Error('jinja-subset: escapes in string literals are not supported');
        s += src[j++];
      }
      if (j >= src.length) throw new Error('jinja-subset: unterminated string');
      out.push({ t: 'str', v: s });
      i = j + 1;
      continue;
    }
    const num = /^\d+(\.\d+)?/.exec(src.slice(i));
    if (num) { out.push({ t: 'num', v: num[0] }); i += num[0].length; continue; }
    const name = /^[A-Za-z_][A-Za-z0-9_]*/.exec(src.slice(i));
    if (name) { out.push({ t: 'name', v: name[0] }); i += name[0].length; continue; }
    const op = /^(==|!=|[{}[\](),:.|=])/.exec(src.slice(i));
    if (op) { out.push({ t: 'op', v: op[0] }); i += op[0].length; continue; }
    throw new Error(`jinja-subset: unsupported character ${JSON.stringify(c)} in ${JSON.stringify(src)}`);
  }
  return out;
}

const truthy = (v: Value): boolean => {
  if (v === UNDEFINED || v === null || v === false || v === 0 || v === '') return false;
  if (Array.isArray(v)) return v.length > 0;
  if (isDict(v)) return Object.keys(v).length > 0;
  return true;
};

function equal(a: Value, b: Value): boolean {
  if (a === UNDEFINED || b === UNDEFINED) return a === b;
  if (typeof a === 'number' && typeof b === 'boolean') return a === Number(b);
  if (typeof b === 'number' && typeof a === 'boolean') return b === Number(a);
  return JSON.stringify(a) === JSON.stringify(b);
}

function isDict(v: Value): v is { [k: string]: Value } {
  return v !== null && typeof v === 'object' && !Array.isArray(v) && !(v instanceof Kw);
}

/** Python's repr of a float or int as parsed from JSON (ints stay ints). */
export function pyNumber(n: number): string {
  if (Number.isInteger(n) && Math.abs(n) < 2 ** 53) return String(n);
  if (!Number.isFinite(n)) return n > 0 ? 'inf' : n < 0 ? '-inf' : 'nan';
  const [mant, expStr] = n.toExponential().split('e');
  const exp = Number(expStr);
  if (exp < -4 || exp >= 16) {
    return `${mant}e${exp < 0 ? '-' : '+'}${String(Math.abs(exp)).padStart(2, '0')}`;
  }
  return String(n); // JS and Python agree on the shortest round-trip digits in this range
}

/** Jinja's `tojson`: json.dumps (insertion order) with `<`, `>`, `&`, `'` escaped. */
function tojson(v: Value): string {
  const enc = (x: Value): string => {
    if (x === UNDEFINED) throw new Error('jinja-subset: tojson of an undefined value');
    if (x === null) return 'null';
    if (typeof x === 'boolean') return x ? 'true' : 'false';
    if (typeof x === 'number') return pyNumber(x);
    if (typeof x === 'string') return JSON.stringify(x).replace(/[<>&']/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
    if (Array.isArray(x)) return `[${x.map(enc).join(', ')}]`;
    if (isDict(x)) return `{${Object.entries(x).map(([k, val]) => `${enc(k)}: ${enc(val)}`).join(', ')}}`;
    throw new Error('jinja-subset: tojson of a function');
  };
  return enc(v);
}

function str(v: Value): string {
  if (v === UNDEFINED) return '';
  if (v === null) return 'None';
  if (typeof v === 'boolean') return v ? 'True' : 'False';
  if (typeof v === 'number') return pyNumber(v);
  if (typeof v === 'string') return v;
  throw new Error('jinja-subset: rendering a list or dict directly is not supported (use tojson)');
}

const DICT_METHODS = new Set(['get', 'items', 'keys', 'values', 'pop', 'update', 'copy', 'clear', 'setdefault', 'popitem', 'fromkeys']);

class Parser {
  #i = 0;
  constructor(private readonly toks: Tok[], private readonly vars: Record<string, Value>) {}

  done(): boolean {
    return this.#i >= this.toks.length;
  }

  #peek(v?: string): Tok | undefined {
    const t = this.toks[this.#i];
    return v === undefined || (t && t.v === v && (t.t === 'op' || t.t === 'name')) ? t : undefined;
  }

  #eat(v: string): void {
    if (!this.#peek(v)) throw new Error(`jinja-subset: expected ${v} at token ${this.#i} (${JSON.stringify(this.toks[this.#i])})`);
    this.#i++;
  }

  expr(): Value {
    const a = this.#or();
    if (this.#peek('if')) {
      this.#i++;
      const cond = this.#or();
      let b: Value = UNDEFINED;
      if (this.#peek('else')) { this.#i++; b = this.expr(); }
      return truthy(cond) ? a : b;
    }
    return a;
  }

  #or(): Value {
    let a = this.#and();
    while (this.#peek('or')) { this.#i++; const b = this.#and(); a = truthy(a) ? a : b; }
    return a;
  }

  #and(): Value {
    let a = this.#not();
    while (this.#peek('and')) { this.#i++; const b = this.#not(); a = truthy(a) ? b : a; }
    return a;
  }

  #not(): Value {
    if (this.#peek('not')) { this.#i++; return !truthy(this.#not()); }
    return this.#cmp();
  }

  #cmp(): Value {
    const a = this.#filtered();
    if (this.#peek('==')) { this.#i++; return equal(a, this.#filtered()); }
    if (this.#peek('!=')) { this.#i++; return !equal(a, this.#filtered()); }
    return a;
  }

  #filtered(): Value {
    let v = this.#postfix();
    while (this.#peek('|')) {
      this.#i++;
      const name = this.toks[this.#i++];
      if (name?.t !== 'name') throw new Error('jinja-subset: filter name expected');
      if (name.v === 'tojson') v = tojson(v);
      else if (name.v === 'default') {
        this.#eat('(');
        const d = this.expr();
        this.#eat(')');
        if (v === UNDEFINED) v = d;
      } else throw new Error(`jinja-subset: filter ${name.v} is not supported`);
    }
    return v;
  }

  #postfix(): Value {
    let v = this.#primary();
    for (;;) {
      if (this.#peek('.')) {
        this.#i++;
        const name = this.toks[this.#i++];
        if (name?.t !== 'name') throw new Error('jinja-subset: attribute name expected');
        if (v === UNDEFINED) throw new Error(`jinja-subset: attribute ${name.v} of an undefined value`);
        if (isDict(v) && DICT_METHODS.has(name.v)) {
          if (name.v !== 'get') throw new Error(`jinja-subset: dict.${name.v} is not supported`);
          const d = v;
          v = (k: Value, dflt: Value = null) => (typeof k === 'string' && Object.hasOwn(d, k) ? d[k] : dflt);
        } else if (isDict(v)) v = Object.hasOwn(v, name.v) ? v[name.v] : UNDEFINED;
        else throw new Error(`jinja-subset: attribute ${name.v} of a non-dict`);
      } else if (this.#peek('(')) {
        this.#i++;
        const args: Value[] = [];
        const kw: Record<string, Value> = {};
        while (!this.#peek(')')) {
          const t = this.toks[this.#i];
          const next = this.toks[this.#i + 1];
          if (t?.t === 'name' && next?.t === 'op' && next.v === '=') {
            this.#i += 2;
            kw[t.v] = this.expr();
          } else args.push(this.expr());
          if (this.#peek(',')) this.#i++;
        }
        this.#eat(')');
        if (typeof v !== 'function') throw new Error('jinja-subset: call of a non-function');
        v = Object.keys(kw).length ? v(...args, new Kw(kw)) : v(...args);
      } else return v;
    }
  }

  #primary(): Value {
    const t = this.toks[this.#i++];
    if (!t) throw new Error('jinja-subset: unexpected end');
    if (t.t === 'str') return t.v;
    if (t.t === 'num') return Number(t.v);
    if (t.t === 'name') {
      if (t.v === 'true' || t.v === 'True') return true;
      if (t.v === 'false' || t.v === 'False') return false;
      if (t.v === 'none' || t.v === 'None') return null;
      if (t.v === 'dict') {
        return (...a: Value[]) => {
          const last = a.at(-1);
          const kw = last instanceof Kw ? (a.pop() as Kw).kw : {};
          if (a.length > 1 || (a.length === 1 && !isDict(a[0]))) throw new Error('jinja-subset: dict() takes one mapping and keywords');
          return { ...(a[0] as Record<string, Value> | undefined), ...kw };
        };
      }
      return Object.hasOwn(this.vars, t.v) ? this.vars[t.v] : UNDEFINED;
    }
    if (t.v === '(') { const v = this.expr(); this.#eat(')'); return v; }
    if (t.v === '{') {
      const d: Record<string, Value> = {};
      while (!this.#peek('}')) {
        const k = this.expr();
        if (typeof k !== 'string') throw new Error('jinja-subset: dict keys must be strings');
        this.#eat(':');
        d[k] = this.expr();
        if (this.#peek(',')) this.#i++;
      }
      this.#eat('}');
      return d;
    }
    if (t.v === '[') {
      const l: Value[] = [];
      while (!this.#peek(']')) { l.push(this.expr()); if (this.#peek(',')) this.#i++; }
      this.#eat(']');
      return l;
    }
    throw new Error(`jinja-subset: unexpected ${t.v}`);
  }
}

/** Index of the `}}` closing a block: brackets balanced, quotes skipped (as Jinja's lexer does). */
function blockEnd(s: string, from: number): number {
  let depth = 0;
  let quote = '';
  for (let i = from; i < s.length; i++) {
    const c = s[i];
    if (quote) { if (c === quote) quote = ''; continue; }
    if (c === '"' || c === "'") quote = c;
    else if ('{[('.includes(c)) depth++;
    else if (depth > 0 && '}])'.includes(c)) depth--;
    else if (depth === 0 && c === '}' && s[i + 1] === '}') return i;
  }
  throw new Error('jinja-subset: unterminated {{');
}

/**
 * Renders `template` as HA's MQTT value templates do: `value` is the payload text and `value_json`
 * its JSON parse (absent when it does not parse).
 */
export function renderTemplate(template: string, payload: string): string {
  if (template.includes('{%') || template.includes('{#')) throw new Error('jinja-subset: statements and comments are not supported');
  const vars: Record<string, Value> = { value: payload };
  try {
    vars.value_json = JSON.parse(payload) as Value;
  } catch {
    // HA leaves value_json undefined for a payload that is not JSON.
  }
  let out = '';
  let rest = template;
  for (;;) {
    const open = rest.indexOf('{{');
    if (open < 0) { out += rest; break; }
    out += rest.slice(0, open);
    const end = blockEnd(rest, open + 2);
    const p = new Parser(tokenize(rest.slice(open + 2, end)), vars);
    const v = p.expr();
    if (!p.done()) throw new Error(`jinja-subset: trailing tokens in ${JSON.stringify(rest.slice(open, end + 2))}`);
    out += str(v);
    rest = rest.slice(end + 2);
  }
  return out;
}
