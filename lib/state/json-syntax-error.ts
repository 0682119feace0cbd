// Where a JSON text first goes wrong, as line and column. V8's JSON.parse messages give a position only
// for some mistakes ("Unexpected token ']', "[1,2,]" is not valid JSON" has none), so after JSON.parse has
// failed we re-scan the text with this small recognizer (RFC 8259 grammar) to point at the spot.

export interface JsonSyntaxError {
  /** 0-based offset of the offending character (text length for a premature end). */
  offset: number;
  /** 1-based. */
  line: number;
  /** 1-based, in UTF-16 code units like an editor's column. */
  column: number;
  message: string;
}

/** The first syntax error of `text`, or undefined when it is valid JSON. */
export function findJsonSyntaxError(text: string): JsonSyntaxError | undefined {
  try {
    const s = new Scanner(text);
    s.ws();
    s.value();
    s.ws();
    if (s.i < text.length) s.fail(`unexpected ${describeChar(text[s.i])} after the end of the document`);
    return undefined;
  } catch (e) {
    if (!(e instanceof ScanError)) throw e;
    return { offset: e.offset, ...lineColumn(text, e.offset), message: e.message };
  }
}

export function lineColumn(text: string, offset: number): { line: number; column: number } {
  let line = 1;
  let lineStart = 0;
  for (let i = 0; i < offset && i < text.length; i++) {
    if (text[i] === '\n') {
      line++;
      lineStart = i + 1;
    }
  }
  return { line, column: offset - lineStart + 1 };
}

class ScanError extends Error {
  constructor(message: string, readonly offset: number) {
    super(message);
  }
}

function describeChar(c: string | undefined): string {
  return c === undefined ? 'end of input' : `character ${JSON.stringify(c)}`;
}

class Scanner {
  i = 0;
  /** Sticky (`y`): matches at lastIndex only, so scanning a large document stays linear. */
  private readonly numberPattern = /-?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?/y;
  constructor(private readonly t: string) {}

  fail(message: string): never {
    throw new ScanError(message, this.i);
  }

  private unexpected(expected: string): never {
    if (this.i >= this.t.length) this.fail(`unexpected end of input, expected ${expected}`);
    this.fail(`unexpected ${describeChar(this.t[this.i])}, expected ${expected}`);
  }

  ws(): void {
    while (this.i < this.t.length && ' \t\n\r'.includes(this.t[this.i]!)) this.i++;
  }

  value(): void {
    const c = this.t[this.i];
    if (c === '{') return this.object();
    if (c === '[') return this.array();
    if (c === '"') return this.string();
    if (c === '-' || (c !== undefined && c >= '0' && c <= '9')) return this.number();
    for (const word of ['true', 'false', 'null']) {
      if (this.t.startsWith(word, this.i)) {
        this.i += word.length;
        return;
      }
    }
    this.unexpected('a value');
  }

  private object(): void {
    this.i++;
    this.ws();
    if (this.t[this.i] === '}') {
      this.i++;
      return;
    }
    for (;;) {
      if (this.t[this.i] !== '"') this.unexpected('a property name in double quotes');
      this.string();
      this.ws();
      if (this.t[this.i] !== ':') this.unexpected("':' after the property name");
      this.i++;
      this.ws();
      this.value();
      this.ws();
      if (this.t[this.i] === ',') {
        this.i++;
        this.ws();
        continue;
      }
      if (this.t[this.i] === '}') {
        this.i++;
        return;
      }
      this.unexpected("',' or '}'");
    }
  }

  private array(): void {
    this.i++;
    this.ws();
    if (this.t[this.i] === ']') {
      this.i++;
      return;
    }
    for (;;) {
      this.value();
      this.ws();
      if (this.t[this.i] === ',') {
        this.i++;
        this.ws();
        continue;
      }
      if (this.t[this.i] === ']') {
        this.i++;
        return;
      }
      this.unexpected("',' or ']'");
    }
  }

  private string(): void {
    this.i++;
    for (;;) {
      const c = this.t[this.i];
      if (c === undefined) this.fail('unterminated string');
      if (c === '"') {
        this.i++;
        return;
      }
      if (c < ' ') this.fail(`control character ${JSON.stringify(c)} in a string (escape it)`);
      if (c === '\\') {
        const e = this.t[this.i + 1];
        if (e !== undefined && '"\\/bfnrt'.includes(e)) this.i += 2;
        else if (e === 'u' && /^[0-9a-fA-F]{4}$/.test(this.t.slice(this.i + 2, this.i + 6))) this.i += 6;
        else this.fail('invalid escape in a string');
        continue;
      }
      this.i++;
    }
  }

  private number(): void {
    this.numberPattern.lastIndex = this.i;
    const m = this.numberPattern.exec(this.t);
    if (!m) this.unexpected('a number');
    this.i += m[0].length;
  }
}
