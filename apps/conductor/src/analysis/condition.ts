// Argo-style success/failure conditions, evaluated by a tiny parser (never eval): comparisons
// joined by && and ||, with ! and parentheses. Operands are numbers, `result` (the first
// value) and `result[i]` (the i-th value of a vector result), e.g.
//   "result < 0.05"     "result[0] >= 0.99 && result[0] < 2"     "!(result > 1) || result[1] == 0"
// A missing element (result[3] of a 2-element vector) or NaN makes its comparison false.

type Node =
  | { k: 'num'; v: number }
  | { k: 'ref'; i: number }
  | { k: 'cmp'; op: string; a: Node; b: Node }
  | { k: 'and' | 'or'; a: Node; b: Node }
  | { k: 'not'; a: Node };

const TOKEN = /\s*(?:(\d+(?:\.\d+)?(?:e[+-]?\d+)?|\.\d+)|(result)|(&&|\|\||<=|>=|==|!=|<|>|!|\(|\)|\[|\]|-))/iy;

function tokenize(expr: string): string[] {
  const out: string[] = [];
  TOKEN.lastIndex = 0;
  let pos = 0;
  while (pos < expr.length) {
    if (/^\s*$/.test(expr.slice(pos))) break;
    TOKEN.lastIndex = pos;
    const m = TOKEN.exec(expr);
    if (!m) throw new Error(`unexpected "${expr.slice(pos).trim().slice(0, 12)}" at position ${pos}`);
    out.push((m[1] ?? m[2] ?? m[3])!);
    pos = TOKEN.lastIndex;
  }
  return out;
}

function parse(expr: string): Node {
  const t = tokenize(expr);
  let i = 0;
  const peek = () => t[i];
  const take = (want?: string) => {
    const tok = t[i++];
    if (tok === undefined || (want && tok !== want)) throw new Error(`expected ${want ?? 'more'}${tok ? ` but found "${tok}"` : ' at the end'}`);
    return tok;
  };
  const operand = (): Node => {
    let tok = take();
    let sign = 1;
    if (tok === '-') {
      sign = -1;
      tok = take();
    }
    if (/^(\d|\.)/.test(tok)) return { k: 'num', v: sign * Number(tok) };
    if (sign === 1 && tok.toLowerCase() === 'result') {
      if (peek() !== '[') return { k: 'ref', i: 0 };
      take('[');
      const idx = take();
      if (!/^\d+$/.test(idx)) throw new Error(`result[...] needs a whole number, not "${idx}"`);
      take(']');
      return { k: 'ref', i: Number(idx) };
    }
    throw new Error(`expected a number or result, found "${tok}"`);
  };
  const unary = (): Node => {
    if (peek() === '!') {
      take();
      return { k: 'not', a: unary() };
    }
    if (peek() === '(') {
      take();
      const n = or();
      take(')');
      return n;
    }
    const a = operand();
    const op = take();
    if (!['<', '<=', '>', '>=', '==', '!='].includes(op)) throw new Error(`expected a comparison after the operand, found "${op}"`);
    return { k: 'cmp', op, a, b: operand() };
  };
  const and = (): Node => {
    let n = unary();
    while (peek() === '&&') {
      take();
      n = { k: 'and', a: n, b: unary() };
    }
    return n;
  };
  const or = (): Node => {
    let n = and();
    while (peek() === '||') {
      take();
      n = { k: 'or', a: n, b: and() };
    }
    return n;
  };
  const root = or();
  if (i < t.length) throw new Error(`unexpected "${t[i]}" after the end of the condition`);
  return root;
}

function value(n: Node, result: readonly number[]): number {
  if (n.k === 'num') return n.v;
  if (n.k === 'ref') return result[n.i] ?? Number.NaN;
  throw new Error('not a value');
}

function evaluate(n: Node, result: readonly number[]): boolean {
  switch (n.k) {
    case 'and': return evaluate(n.a, result) && evaluate(n.b, result);
    case 'or': return evaluate(n.a, result) || evaluate(n.b, result);
    case 'not': return !evaluate(n.a, result);
    case 'cmp': {
      const a = value(n.a, result);
      const b = value(n.b, result);
      if (Number.isNaN(a) || Number.isNaN(b)) return false;
      switch (n.op) {
        case '<': return a < b;
        case '<=': return a <= b;
        case '>': return a > b;
        case '>=': return a >= b;
        case '==': return a === b;
        default: return a !== b;
      }
    }
    default: throw new Error('not a condition');
  }
}

/** Why a condition cannot be evaluated, or null when it parses. */
export function checkCondition(expr: string): string | null {
  try {
    parse(expr);
    return null;
  } catch (err) {
    return `condition ${JSON.stringify(expr)}: ${(err as Error).message}`;
  }
}

/** Evaluates a condition against one value or a vector of values (`result` is the first). */
export function evalCondition(expr: string, result: number | readonly number[]): boolean {
  let tree: Node;
  try {
    tree = parse(expr);
  } catch (err) {
    throw new Error(`condition ${JSON.stringify(expr)}: ${(err as Error).message}`, { cause: err });
  }
  return evaluate(tree, typeof result === 'number' ? [result] : result);
}
