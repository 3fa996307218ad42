// Argo-style success/failure conditions over one number, kept deliberately tiny and safe (no
// eval): comparisons of `result` with a number, joined by && or ||, e.g.
// "result < 0.05", "result >= 0.99 && result <= 1".

const CMP = /^\s*result\s*(<=|>=|==|!=|<|>)\s*(-?\d+(?:\.\d+)?(?:e-?\d+)?)\s*$/i;

function compare(op: string, a: number, b: number): boolean {
  switch (op) {
    case '<': return a < b;
    case '<=': return a <= b;
    case '>': return a > b;
    case '>=': return a >= b;
    case '==': return a === b;
    default: return a !== b;
  }
}

export function checkCondition(expr: string): string | null {
  for (const part of expr.split(/&&|\|\|/)) if (!CMP.test(part)) return `"${part.trim()}" is not "result <op> number"`;
  return null;
}

export function evalCondition(expr: string, result: number): boolean {
  return expr.split('||').some((alt) =>
    alt.split('&&').every((part) => {
      const m = CMP.exec(part);
      if (!m) throw new Error(`condition ${JSON.stringify(expr)}: ${checkCondition(expr)}`);
      return compare(m[1]!, result, Number(m[2]));
    }),
  );
}
