// Just enough protobuf encoding to emit an OpenAPI v2 document: strings,
// booleans and nested messages.

function varint(value: number): Buffer {
  const bytes: number[] = [];
  let rest = value;
  while (rest >= 0x80) {
    bytes.push((rest & 0x7f) | 0x80);
    rest = Math.floor(rest / 128);
  }
  bytes.push(rest);
  return Buffer.from(bytes);
}

const WIRE_VARINT = 0;
const WIRE_LENGTH_DELIMITED = 2;

function key(field: number, wireType: number): Buffer {
  return varint(field * 8 + wireType);
}

/** A length-delimited field holding an already encoded message. */
export function messageField(field: number, ...parts: Buffer[]): Buffer {
  const body = Buffer.concat(parts);
  return Buffer.concat([key(field, WIRE_LENGTH_DELIMITED), varint(body.length), body]);
}

export function stringField(field: number, value: string): Buffer {
  const body = Buffer.from(value, 'utf8');
  return Buffer.concat([key(field, WIRE_LENGTH_DELIMITED), varint(body.length), body]);
}

export function boolField(field: number, value: boolean): Buffer {
  return value ? Buffer.concat([key(field, WIRE_VARINT), varint(1)]) : Buffer.alloc(0);
}
