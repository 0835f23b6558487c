/**
 * The few EXIF fields the pipeline records. EXIF comes from the sender and is often damaged
 * (cut by editors, written by buggy firmware), so nothing here may fail the image: any field
 * that cannot be read is simply left out.
 */
import exifReader from 'exif-reader';

/** EXIF facts about the capture, each present only when it could be read. */
export interface CaptureDetails {
  /**
   * `DateTimeOriginal` as an ISO 8601 local date-time, e.g. `2021-06-15T14:30:00`, with the
   * `OffsetTimeOriginal` appended when the camera recorded one (`2021-06-15T14:30:00+02:00`).
   * Without an offset the time zone is unknown: do not read it as UTC.
   */
  capturedAt?: string;
  /** `Make` from IFD0, e.g. `Canon`. */
  cameraMake?: string;
  /** `Model` from IFD0, e.g. `Canon EOS R5`. */
  cameraModel?: string;
}

const MAX_TEXT_LENGTH = 128;

/** EXIF ASCII values: trimmed, NULs and control characters dropped, bounded, never empty. */
function cleanText(value: unknown): string | undefined {
  let text: string | undefined;
  if (typeof value === 'string') text = value;
  else if (Buffer.isBuffer(value)) text = value.toString('utf8');
  if (text === undefined) return undefined;
  const cleaned = text.replace(/[\u0000-\u001f\u007f\ufffd]/g, ' ').replace(/\s+/g, ' ').trim();
  if (cleaned.length === 0) return undefined;
  return cleaned.slice(0, MAX_TEXT_LENGTH);
}

function captureTime(value: unknown, offset: unknown): string | undefined {
  // exif-reader turns "YYYY:MM:DD HH:MM:SS" into a Date built from those fields as if UTC,
  // so its UTC fields are the camera's wall-clock fields.
  if (!(value instanceof Date) || Number.isNaN(value.getTime())) return undefined;
  const year = value.getUTCFullYear();
  // Unset camera clocks write 0000:00:00 (rolled by Date.UTC to 1899); treat as absent.
  if (year < 1900 || year > 9999) return undefined;
  const local = value.toISOString().slice(0, 19);
  return typeof offset === 'string' && /^[+-]\d{2}:\d{2}$/.test(offset.trim()) ? `${local}${offset.trim()}` : local;
}

function field(record: unknown, name: string): unknown {
  return typeof record === 'object' && record !== null ? (record as Record<string, unknown>)[name] : undefined;
}

/**
 * Reads capture time and camera make/model from a raw EXIF block (as sharp's `metadata().exif`
 * returns it: `Exif\0\0` + a TIFF structure). Never throws.
 */
export function readCaptureDetails(exif: Buffer | undefined): CaptureDetails {
  if (exif === undefined || exif.length === 0) return {};
  let parsed: unknown;
  try {
    parsed = exifReader(exif);
  } catch {
    return {};
  }
  const image = field(parsed, 'Image');
  const photo = field(parsed, 'Photo');
  const details: CaptureDetails = {};
  const capturedAt = captureTime(field(photo, 'DateTimeOriginal'), field(photo, 'OffsetTimeOriginal'));
  if (capturedAt !== undefined) details.capturedAt = capturedAt;
  const cameraMake = cleanText(field(image, 'Make'));
  if (cameraMake !== undefined) details.cameraMake = cameraMake;
  const cameraModel = cleanText(field(image, 'Model'));
  if (cameraModel !== undefined) details.cameraModel = cameraModel;
  return details;
}
