import { expect } from 'chai';
import { findJsonSyntaxError, lineColumn } from '../../../lib/state/json-syntax-error.js';

describe('findJsonSyntaxError', () => {
  const cases: [string, string, number, number, RegExp][] = [
    ['missing colon', '{\n  "a": 1,\n  "b" 2\n}', 3, 7, /expected ':' after the property name/],
    ['trailing comma in an array', '[1,2,]', 1, 6, /unexpected character "\]", expected a value/],
    ['trailing comma in an object', '{"a": 1,\n}', 2, 1, /expected a property name/],
    ['bad literal', '{"a": tru}', 1, 7, /expected a value/],
    ['premature end', '{"a":', 1, 6, /unexpected end of input/],
    ['empty text', '', 1, 1, /unexpected end of input/],
    ['garbage after the document', '{}\n\n  x', 3, 3, /after the end of the document/],
    ['single quotes', "{'a': 1}", 1, 2, /property name in double quotes/],
    ['raw newline in a string', '["a\nb"]', 1, 4, /control character/],
    ['bad escape', '["\\x"]', 1, 3, /invalid escape/],
    ['leading zero', '[01]', 1, 3, /expected ',' or '\]'/],
    ['unterminated string', '{"a": "b', 1, 9, /unterminated string/],
  ];
  for (const [what, text, line, column, message] of cases) {
    it(`${what}: line ${line} column ${column}`, () => {
      expect(() => JSON.parse(text)).to.throw();
      const e = findJsonSyntaxError(text)!;
      expect({ line: e.line, column: e.column }).to.deep.equal({ line, column });
      expect(e.message).to.match(message);
    });
  }

  it('finds nothing in valid JSON (the same verdict as JSON.parse)', () => {
    for (const text of ['{}', '[]', '0', '-1.5e+3', '"\\u00e9\\n"', ' {"a": [1, {"b": null}], "c": true} ', '[false]']) {
      expect(() => JSON.parse(text)).not.to.throw();
      expect(findJsonSyntaxError(text), text).to.equal(undefined);
    }
  });

  it('counts lines and columns from 1', () => {
    expect(lineColumn('ab\ncd', 0)).to.deep.equal({ line: 1, column: 1 });
    expect(lineColumn('ab\ncd', 4)).to.deep.equal({ line: 2, column: 2 });
  });
});
