import { unsafePath } from '../http/path-safety';

test.each([
  ['/api/products/1', null],
  ['/api/products?q=a/../b&x=%2f', null],
  ['/api/products/a.b', null],
  ['/api/products/%41', null],
  ['/', null],
  ['/api/..', 'dot-segment'],
  ['/api/../admin', 'dot-segment'],
  ['/api/./products', 'dot-segment'],
  ['/api/%2e%2e/admin', 'dot-segment'],
  ['/api/.%2E/admin', 'dot-segment'],
  ['/api/%2e/x', 'dot-segment'],
  ['/api%2fproducts', 'encoded-slash'],
  ['/api%2Fproducts', 'encoded-slash'],
  ['/api%5cproducts', 'encoded-backslash'],
  ['/api\\products', 'backslash'],
  ['/api/%00', 'encoded-nul'],
  ['/api/%252e%252e/x', 'double-encoding'],
  ['/api/%zz', 'bad-percent-encoding'],
  ['/api/%e', 'bad-percent-encoding'],
  ['//api/products', 'empty-segment'],
  ['/api//products', 'empty-segment'],
  ['http://evil.example/api', 'not-origin-form'],
  ['*', 'not-origin-form'],
  ['', 'not-origin-form'],
])('%s -> %s', (target, reason) => {
  expect(unsafePath(target)).toBe(reason);
});
