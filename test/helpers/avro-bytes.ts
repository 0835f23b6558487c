/**
 * Avro's binary encoding written by hand (Avro 1.11 specification, "Binary Encoding"), for
 * tests that need bodies no Avro library would write: lengths and counts the bytes cannot hold.
 */

/** An Avro `long`: zig-zag, then a base-128 varint; exact for any safe integer, however large. */
export function avroLong(value: number): Buffer {
  let zigzag = value >= 0 ? value * 2 : -value * 2 - 1;
  const bytes: number[] = [];
  while (zigzag >= 128) {
    bytes.push((zigzag % 128) | 0x80);
    zigzag = Math.floor(zigzag / 128);
  }
  bytes.push(zigzag);
  return Buffer.from(bytes);
}

/** An Avro `string`: its UTF-8 byte length as a long, then the bytes. */
export function avroString(text: string): Buffer {
  const bytes = Buffer.from(text, 'utf8');
  return Buffer.concat([avroLong(bytes.length), bytes]);
}
