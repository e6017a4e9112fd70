import assert from 'node:assert/strict';
import { test } from 'vitest';
import { ArithmeticError, evaluateArithmetic } from './evaluate-arithmetic.ts';

const VALUES: [expression: string, value: number][] = [
  ['1 + 2 * 3', 7],
  ['(1 + 2) * 3', 9],
  ['10 / 4', 2.5],
  ['10 % 4', 2],
  ['2 ^ 3 ^ 2', 512],
  ['2 ** 10', 1024],
  ['-2 ^ 2', -4],
  ['2 ^ -1', 0.5],
  ['--3', 3],
  ['1 - -1', 2],
  ['.5 + 1.', 1.5],
  ['1.5e3 + 2E-1', 1500.2],
  ['sqrt(16) + abs(-3)', 7],
  ['max(1, 7, 3) - min(4, 2)', 5],
  ['round(2.5) + floor(-1.5) + ceil(1.2)', 3],
  ['pow(2, 8)', 256],
  ['log(1000) + ln(e)', 4],
  ['2 * pi', 2 * Math.PI],
  ['  PI  ', Math.PI],
  ['(((((1)))))', 1],
  ['1234.5 * 0.15', 185.175],
];

for (const [expression, value] of VALUES) {
  test(`calculator: ${expression} = ${value}`, () => {
    assert.ok(Math.abs(evaluateArithmetic(expression) - value) < 1e-9, `${evaluateArithmetic(expression)}`);
  });
}

const ERRORS: [expression: string, message: RegExp][] = [
  ['', /unexpected end of expression at position 0/],
  ['1 +', /unexpected end of expression at position 3/],
  ['1 / 0', /division by zero at position 2/],
  ['5 % (2 - 2)', /division by zero/],
  ['(1 + 2', /expected "\)" at position 6/],
  ['1 2', /unexpected "2" at position 2/],
  ['process.exit(1)', /unexpected character "\."/],
  ['constructor', /unknown name "constructor"/],
  ['__proto__', /unknown name "__proto__"/],
  ['toString(1)', /unknown function "tostring"/],
  ['alert(1)', /unknown function "alert"/],
  ['sqrt(1, 2)', /sqrt takes 1 argument, got 2/],
  ['pow(2)', /pow takes 2 arguments, got 1/],
  ['10 ^ 400', /not a finite number/],
  ['sqrt(-1)', /not a finite number/],
  ['"1" + 1', /unexpected character """/],
  ['('.repeat(100) + '1' + ')'.repeat(100), /nested more than 64 deep/],
  ['-'.repeat(100) + '1', /nested more than 64 deep/],
  ['1+'.repeat(600) + '1', /longer than 1000 characters/],
];

for (const [expression, message] of ERRORS) {
  test(`calculator refuses: ${expression.slice(0, 40)}`, () => {
    assert.throws(
      () => evaluateArithmetic(expression),
      (error: unknown) => error instanceof ArithmeticError && message.test(error.message),
    );
  });
}
