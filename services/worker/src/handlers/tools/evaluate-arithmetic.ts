/** Why an expression could not be evaluated; `position` is the offending character's index. */
export class ArithmeticError extends Error {
  readonly position: number;
  constructor(message: string, position: number) {
    super(`${message} at position ${position}`);
    this.name = 'ArithmeticError';
    this.position = position;
  }
}

/** Long enough for any real calculation; bounds the work a model's input can cause. */
export const MAX_EXPRESSION_LENGTH = 1000;
/** Parenthesis/unary nesting allowed; keeps the recursive parser far from the stack limit. */
const MAX_DEPTH = 64;

// Maps, not object literals: a name like "constructor" must not find Object.prototype's members.
const CONSTANTS: ReadonlyMap<string, number> = new Map(Object.entries({ pi: Math.PI, e: Math.E, tau: 2 * Math.PI }));

type MathFunction = { arity: [min: number, max: number]; fn: (...args: number[]) => number };
const FUNCTIONS: ReadonlyMap<string, MathFunction> = new Map(
  Object.entries({
    sqrt: { arity: [1, 1], fn: Math.sqrt },
    cbrt: { arity: [1, 1], fn: Math.cbrt },
    abs: { arity: [1, 1], fn: Math.abs },
    floor: { arity: [1, 1], fn: Math.floor },
    ceil: { arity: [1, 1], fn: Math.ceil },
    round: { arity: [1, 1], fn: Math.round },
    trunc: { arity: [1, 1], fn: Math.trunc },
    exp: { arity: [1, 1], fn: Math.exp },
    ln: { arity: [1, 1], fn: Math.log },
    log: { arity: [1, 1], fn: Math.log10 },
    log2: { arity: [1, 1], fn: Math.log2 },
    sin: { arity: [1, 1], fn: Math.sin },
    cos: { arity: [1, 1], fn: Math.cos },
    tan: { arity: [1, 1], fn: Math.tan },
    asin: { arity: [1, 1], fn: Math.asin },
    acos: { arity: [1, 1], fn: Math.acos },
    atan: { arity: [1, 1], fn: Math.atan },
    pow: { arity: [2, 2], fn: Math.pow },
    min: { arity: [1, 100], fn: Math.min },
    max: { arity: [1, 100], fn: Math.max },
  } satisfies Record<string, MathFunction>),
);

type Token =
  | { kind: 'number'; value: number; at: number }
  | { kind: 'name'; value: string; at: number }
  | { kind: 'op'; value: '+' | '-' | '*' | '/' | '%' | '^' | '(' | ')' | ','; at: number }
  | { kind: 'end'; at: number };

function tokenize(source: string): Token[] {
  const tokens: Token[] = [];
  const pattern = /\s+|(\d+(?:\.\d*)?(?:[eE][+-]?\d+)?|\.\d+(?:[eE][+-]?\d+)?)|([A-Za-z_][A-Za-z0-9_]*)|(\*\*|[-+*/%^(),])/y;
  let at = 0;
  while (at < source.length) {
    pattern.lastIndex = at;
    const m = pattern.exec(source);
    if (!m) throw new ArithmeticError(`unexpected character "${source[at]}"`, at);
    if (m[1] !== undefined) tokens.push({ kind: 'number', value: Number(m[1]), at });
    else if (m[2] !== undefined) tokens.push({ kind: 'name', value: m[2].toLowerCase(), at });
    else if (m[3] !== undefined)
      tokens.push({ kind: 'op', value: m[3] === '**' ? '^' : (m[3] as Extract<Token, { kind: 'op' }>['value']), at });
    at = pattern.lastIndex;
  }
  tokens.push({ kind: 'end', at: source.length });
  return tokens;
}

/**
 * Evaluates an arithmetic expression without `eval`: numbers (1, 2.5, .5, 1e-3), + - * / %,
 * ^ or ** (right-associative, binding tighter than unary minus: -2^2 = -4), parentheses,
 * constants (pi, e, tau) and functions (sqrt, abs, round, ln, log, min, max, pow, …).
 * Throws ArithmeticError for bad syntax, unknown names, division by zero or a non-finite result.
 */
export function evaluateArithmetic(source: string): number {
  if (source.length > MAX_EXPRESSION_LENGTH)
    throw new ArithmeticError(`expression longer than ${MAX_EXPRESSION_LENGTH} characters`, MAX_EXPRESSION_LENGTH);
  const tokens = tokenize(source);
  let pos = 0;
  let depth = 0;
  const peek = (): Token => tokens[pos] as Token;
  const isOp = (value: string): boolean => {
    const t = peek();
    return t.kind === 'op' && t.value === value;
  };
  const expectOp = (value: string): void => {
    if (!isOp(value)) throw new ArithmeticError(`expected "${value}"`, peek().at);
    pos++;
  };
  const nest = <T>(at: number, inner: () => T): T => {
    if (++depth > MAX_DEPTH) throw new ArithmeticError(`nested more than ${MAX_DEPTH} deep`, at);
    try {
      return inner();
    } finally {
      depth--;
    }
  };

  const expression = (): number => {
    let value = term();
    while (isOp('+') || isOp('-')) {
      const op = (tokens[pos++] as { value: string }).value;
      const right = term();
      value = op === '+' ? value + right : value - right;
    }
    return value;
  };
  const term = (): number => {
    let value = unary();
    while (isOp('*') || isOp('/') || isOp('%')) {
      const token = tokens[pos++] as { value: string; at: number };
      const right = unary();
      if ((token.value === '/' || token.value === '%') && right === 0) throw new ArithmeticError('division by zero', token.at);
      value = token.value === '*' ? value * right : token.value === '/' ? value / right : value % right;
    }
    return value;
  };
  const unary = (): number => {
    const t = peek();
    if (isOp('-') || isOp('+')) {
      pos++;
      const operand = nest(t.at, unary);
      return t.kind === 'op' && t.value === '-' ? -operand : operand;
    }
    return power();
  };
  const power = (): number => {
    const base = primary();
    if (!isOp('^')) return base;
    const at = peek().at;
    pos++;
    return nest(at, () => base ** unary());
  };
  const primary = (): number => {
    const t = peek();
    if (t.kind === 'number') {
      pos++;
      return t.value;
    }
    if (t.kind === 'op' && t.value === '(') {
      pos++;
      const value = nest(t.at, expression);
      expectOp(')');
      return value;
    }
    if (t.kind === 'name') {
      pos++;
      if (isOp('(')) return call(t.value, t.at);
      const constant = CONSTANTS.get(t.value);
      if (constant === undefined) throw new ArithmeticError(`unknown name "${t.value}"`, t.at);
      return constant;
    }
    throw new ArithmeticError(t.kind === 'end' ? 'unexpected end of expression' : `unexpected "${t.value}"`, t.at);
  };
  const call = (name: string, at: number): number => {
    const fn = FUNCTIONS.get(name);
    if (!fn) throw new ArithmeticError(`unknown function "${name}"`, at);
    expectOp('(');
    const args: number[] = [];
    if (!isOp(')')) {
      args.push(nest(at, expression));
      while (isOp(',')) {
        pos++;
        args.push(nest(at, expression));
      }
    }
    expectOp(')');
    const [min, max] = fn.arity;
    if (args.length < min || args.length > max) {
      throw new ArithmeticError(
        `${name} takes ${min === max ? min : `${min} to ${max}`} argument${max === 1 ? '' : 's'}, got ${args.length}`,
        at,
      );
    }
    return fn.fn(...args);
  };

  const value = expression();
  const rest = peek();
  if (rest.kind !== 'end') throw new ArithmeticError(`unexpected "${rest.kind === 'number' ? rest.value : rest.value}"`, rest.at);
  if (!Number.isFinite(value)) throw new ArithmeticError('the result is not a finite number', 0);
  return value;
}
