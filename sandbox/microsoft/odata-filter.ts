// A small OData $filter evaluator: the subset Graph clients use on messages and events.
// Comparisons (eq ne gt ge lt le), and/or/not, parentheses, startswith/contains, and the lambda
// `singleValueExtendedProperties/any(ep: ep/id eq '...' and ep/value eq '...')`.
// https://learn.microsoft.com/en-us/graph/filter-query-parameter
// https://learn.microsoft.com/en-us/graph/api/singlevaluelegacyextendedproperty-get (id match is
// case-sensitive on the Name; value match is case-insensitive)
import { badRequest } from './graph-errors.ts';

type Tok = { t: 'str' | 'word' | 'num' | 'date' | 'p'; v: string };
export type Predicate = (item: unknown) => boolean;

function tokenize(src: string): Tok[] {
  const out: Tok[] = [];
  let i = 0;
  while (i < src.length) {
    const c = src[i]!;
    if (/\s/.test(c)) {
      i++;
      continue;
    }
    if (c === "'") {
      let s = '';
      i++;
      for (;;) {
        if (i >= src.length) throw badRequest('Invalid filter clause: unterminated string literal.');
        if (src[i] === "'") {
          if (src[i + 1] === "'") {
            s += "'";
            i += 2;
            continue;
          }
          i++;
          break;
        }
        s += src[i++];
      }
      out.push({ t: 'str', v: s });
      continue;
    }
    const rest = src.slice(i);
    const date = /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})?)?/.exec(rest);
    if (date) {
      out.push({ t: 'date', v: date[0] });
      i += date[0].length;
      continue;
    }
    const num = /^-?\d+(\.\d+)?/.exec(rest);
    if (num) {
      out.push({ t: 'num', v: num[0] });
      i += num[0].length;
      continue;
    }
    const word = /^[A-Za-z_$][\w/.$]*/.exec(rest);
    if (word) {
      out.push({ t: 'word', v: word[0] });
      i += word[0].length;
      continue;
    }
    if ('(),:'.includes(c)) {
      out.push({ t: 'p', v: c });
      i++;
      continue;
    }
    throw badRequest(`Invalid filter clause: unexpected character '${c}'.`);
  }
  return out;
}

type Value = string | number | boolean | null | Date;

function resolve(obj: unknown, path: string[]): unknown {
  let cur = obj;
  for (const seg of path) {
    if (cur == null || typeof cur !== 'object') return undefined;
    const rec = cur as Record<string, unknown>;
    const key = Object.keys(rec).find((k) => k.toLowerCase() === seg.toLowerCase());
    cur = key === undefined ? undefined : rec[key];
  }
  return cur;
}

function compare(a: unknown, b: Value, op: string, caseInsensitive: boolean): boolean {
  let x: unknown = a;
  let y: unknown = b;
  if (b instanceof Date) {
    x = typeof a === 'string' ? Date.parse(a) : NaN;
    y = b.getTime();
  } else if (typeof x === 'string' && typeof y === 'string' && caseInsensitive) {
    x = x.toLowerCase();
    y = y.toLowerCase();
  }
  if (x === undefined) x = null;
  switch (op) {
    case 'eq':
      return x === y;
    case 'ne':
      return x !== y;
    case 'gt':
      return (x as number) > (y as number);
    case 'ge':
      return (x as number) >= (y as number);
    case 'lt':
      return (x as number) < (y as number);
    case 'le':
      return (x as number) <= (y as number);
    default:
      throw badRequest(`Invalid filter clause: unknown operator '${op}'.`);
  }
}

export function parseFilter(src: string): Predicate {
  const toks = tokenize(src);
  let pos = 0;
  const peek = () => toks[pos];
  const next = () => {
    const t = toks[pos++];
    if (!t) throw badRequest('Invalid filter clause: unexpected end of expression.');
    return t;
  };
  const expect = (v: string) => {
    const t = next();
    if (t.v !== v) throw badRequest(`Invalid filter clause: expected '${v}' but found '${t.v}'.`);
  };

  // scope: lambda variables -> accessor
  type Scope = Record<string, (root: unknown) => unknown>;

  function literal(): Value {
    const t = next();
    if (t.t === 'str') return t.v;
    if (t.t === 'num') return Number(t.v);
    if (t.t === 'date') return new Date(t.v);
    if (t.t === 'word') {
      if (t.v === 'true') return true;
      if (t.v === 'false') return false;
      if (t.v === 'null') return null;
    }
    throw badRequest(`Invalid filter clause: expected a literal but found '${t.v}'.`);
  }

  function pathGetter(word: string, scope: Scope): { get: (root: unknown) => unknown; last: string } {
    const segs = word.split('/');
    const head = segs[0]!;
    const last = segs[segs.length - 1]!.toLowerCase();
    if (scope[head]) {
      const base = scope[head]!;
      return { get: (root) => resolve(base(root), segs.slice(1)), last };
    }
    return { get: (root) => resolve(root, segs), last };
  }

  function orExpr(scope: Scope): Predicate {
    let left = andExpr(scope);
    while (peek()?.t === 'word' && peek()!.v === 'or') {
      next();
      const l = left;
      const r = andExpr(scope);
      left = (o) => l(o) || r(o);
    }
    return left;
  }
  function andExpr(scope: Scope): Predicate {
    let left = unary(scope);
    while (peek()?.t === 'word' && peek()!.v === 'and') {
      next();
      const l = left;
      const r = unary(scope);
      left = (o) => l(o) && r(o);
    }
    return left;
  }
  function unary(scope: Scope): Predicate {
    if (peek()?.t === 'word' && peek()!.v === 'not') {
      next();
      const inner = unary(scope);
      return (o) => !inner(o);
    }
    return primary(scope);
  }
  function primary(scope: Scope): Predicate {
    const t = next();
    if (t.t === 'p' && t.v === '(') {
      const inner = orExpr(scope);
      expect(')');
      return inner;
    }
    if (t.t !== 'word') throw badRequest(`Invalid filter clause: unexpected '${t.v}'.`);
    const fn = t.v.toLowerCase();
    if ((fn === 'startswith' || fn === 'contains' || fn === 'endswith') && peek()?.v === '(') {
      next();
      const p = pathGetter(next().v, scope);
      expect(',');
      const lit = String(literal()).toLowerCase();
      expect(')');
      return (o) => {
        const v = p.get(o);
        if (typeof v !== 'string') return false;
        const s = v.toLowerCase();
        return fn === 'startswith'
          ? s.startsWith(lit)
          : fn === 'endswith'
            ? s.endsWith(lit)
            : s.includes(lit);
      };
    }
    const anyM = /^(.*)\/(any|all)$/.exec(t.v);
    if (anyM && peek()?.v === '(') {
      next();
      const collection = pathGetter(anyM[1]!, scope);
      const variable = next().v;
      expect(':');
      const holder: { item: unknown } = { item: undefined };
      const inner = orExpr({ ...scope, [variable]: () => holder.item });
      expect(')');
      const isAll = anyM[2] === 'all';
      return (o) => {
        const arr = collection.get(o);
        if (!Array.isArray(arr)) return isAll;
        const test = (it: unknown) => {
          holder.item = it;
          return inner(o);
        };
        return isAll ? arr.every(test) : arr.some(test);
      };
    }
    const p = pathGetter(t.v, scope);
    const opTok = next();
    const op = opTok.v.toLowerCase();
    if (!['eq', 'ne', 'gt', 'ge', 'lt', 'le'].includes(op)) {
      throw badRequest(`Invalid filter clause: unknown operator '${opTok.v}'.`);
    }
    const lit = literal();
    const ci = p.last === 'value' || p.last === 'address';
    return (o) => compare(p.get(o), lit, op, ci);
  }

  const pred = orExpr({});
  if (pos !== toks.length) throw badRequest(`Invalid filter clause: unexpected '${toks[pos]!.v}'.`);
  return pred;
}
