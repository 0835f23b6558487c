/**
 * libvips decodes every GIF to RGBA, so sharp reports `hasAlpha: true` even for GIFs without
 * transparency. Whether the first frame (the only one we use) is transparent is in its Graphic
 * Control Extension, which this reads without decoding anything.
 */

const EXTENSION_INTRODUCER = 0x21;
const IMAGE_SEPARATOR = 0x2c;
const GRAPHIC_CONTROL_LABEL = 0xf9;

/** Skips a run of data sub-blocks (length-prefixed, ended by a 0 length); returns the next offset. */
function skipSubBlocks(bytes: Uint8Array, at: number): number {
  let position = at;
  while (position < bytes.length) {
    const length = bytes[position] as number;
    position += 1 + length;
    if (length === 0) return position;
  }
  return position;
}

/**
 * True when the first frame of a GIF declares a transparent colour index. A damaged file reads
 * as opaque: the decode that follows reports the damage, not this.
 */
export function gifFirstFrameHasTransparency(bytes: Uint8Array): boolean {
  if (bytes.length < 13) return false;
  const screenFlags = bytes[10] as number;
  let position = 13;
  if (screenFlags & 0x80) position += 3 * (1 << ((screenFlags & 0x07) + 1));
  while (position < bytes.length) {
    const introducer = bytes[position];
    if (introducer === IMAGE_SEPARATOR) return false;
    if (introducer !== EXTENSION_INTRODUCER || position + 1 >= bytes.length) return false;
    const label = bytes[position + 1];
    if (label === GRAPHIC_CONTROL_LABEL && bytes[position + 2] === 4 && position + 3 < bytes.length) {
      // The GCE applies to the next image, which is the first frame.
      return ((bytes[position + 3] as number) & 0x01) === 1;
    }
    position = skipSubBlocks(bytes, position + 2);
  }
  return false;
}
