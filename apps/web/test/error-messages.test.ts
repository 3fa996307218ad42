import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { test } from 'node:test';
import { describeError, FALLBACK_MESSAGE } from '../src/api/error-messages.js';
import { ApiError } from '../src/api/errors.js';

// The web app may not import API code, so the API's list of error codes is read as text: when
// the API adds a code, this test asks for the words players will see.
const errorsTs = readFileSync(resolve(import.meta.dirname, '../../api/src/errors.ts'), 'utf8');
const union = /export type ErrorCode =([^;]+);/.exec(errorsTs)?.[1] ?? '';
const codes = [...union.matchAll(/'([a-z_]+)'/g)].map((m) => m[1]!);

test('the API error codes are found', () => {
  assert.ok(codes.length >= 10, `found ${codes.join(', ')}`);
  assert.ok(codes.includes('insufficient_funds'));
});

test('every API error code has its own plain words, never a code or JSON', () => {
  for (const code of codes) {
    const words = describeError(new ApiError(code, 400, `{"error":{"code":"${code}"}}`));
    assert.notEqual(words, FALLBACK_MESSAGE, `${code} needs words in src/api/error-messages.ts`);
    assert.doesNotMatch(words, /[{}"]|_/, `${code}: "${words}"`);
    assert.match(words, /^[A-Z].*[.!]$/, `${code}: a sentence`);
  }
});

test('a validation error names the field with the API reason, and rate limits say how long to wait', () => {
  assert.equal(
    describeError(new ApiError('validation_failed', 400, 'nickname: must be at least 3 characters', { field: 'nickname' })),
    'Please check the nickname: it must be at least 3 characters.',
  );
  assert.equal(describeError(new ApiError('validation_failed', 400, 'weird', { field: 'mystery' })), 'Some of what you entered is not valid. Please check it.');
  assert.equal(describeError(new ApiError('rate_limited', 429, 'x', { retryAfter: 90 })), 'Too many attempts. Please wait 2 minutes and try again.');
  assert.equal(describeError(new ApiError('rate_limited', 429, 'x', { retryAfter: 1 })), 'Too many attempts. Please wait 1 second and try again.');
  assert.equal(describeError(new ApiError('http_502', 502, 'Bad Gateway')), 'Something went wrong on our side. Please try again.');
  assert.equal(describeError(new TypeError('x')), 'Something went wrong on our side. Please try again.');
});
