import { fstatSync } from 'node:fs';
import { crc32 } from 'node:zlib';
import { readFully } from './durable-fs';

/**
 * Every file the embedded log appends to is a run of frames: `u32 body length | u32 CRC32 of
 * body | body`. A crash can leave a torn last frame (short, or with a CRC that does not match
 * because only part of it reached the disk); `scanFrames` stops there so the caller can cut it.
 */
export const FRAME_HEADER_BYTES = 8;
/** A larger length can only be garbage: records travel by reference long before this size. */
export const MAX_FRAME_BODY_BYTES = 64 * 1024 * 1024;

export function encodeFrame(body: Buffer): Buffer {
  const frame = Buffer.allocUnsafe(FRAME_HEADER_BYTES + body.length);
  frame.writeUInt32LE(body.length, 0);
  frame.writeUInt32LE(crc32(body), 4);
  body.copy(frame, FRAME_HEADER_BYTES);
  return frame;
}

export interface ScanResult {
  /** Where the last intact frame ends; anything after it is a torn tail. */
  validBytes: number;
  fileBytes: number;
}

const SCAN_CHUNK_BYTES = 4 * 1024 * 1024;

/**
 * Reads the file front to back, calling `onFrame(body, position)` for each intact frame;
 * `onFrame` returning false ends the valid part there. `body` is only valid during the call
 * (it points into a reused read buffer).
 */
export function scanFrames(fd: number, onFrame: (body: Buffer, position: number) => boolean): ScanResult {
  const fileBytes = fstatSync(fd).size;
  let chunk = Buffer.allocUnsafe(SCAN_CHUNK_BYTES);
  let chunkStart = 0;
  let chunkLength = 0;
  let position = 0;
  const ensure = (bytes: number): boolean => {
    if (position + bytes > fileBytes) return false;
    if (position >= chunkStart && position + bytes <= chunkStart + chunkLength) return true;
    if (bytes > chunk.length) chunk = Buffer.allocUnsafe(bytes);
    chunkStart = position;
    chunkLength = readFully(fd, chunk, Math.min(chunk.length, fileBytes - position), position);
    return chunkLength >= bytes;
  };
  while (ensure(FRAME_HEADER_BYTES)) {
    const at = position - chunkStart;
    const length = chunk.readUInt32LE(at);
    const crc = chunk.readUInt32LE(at + 4);
    if (length > MAX_FRAME_BODY_BYTES || !ensure(FRAME_HEADER_BYTES + length)) break;
    const bodyStart = position - chunkStart + FRAME_HEADER_BYTES;
    const body = chunk.subarray(bodyStart, bodyStart + length);
    if (crc32(body) !== crc) break;
    if (!onFrame(body, position)) break;
    position += FRAME_HEADER_BYTES + length;
  }
  return { validBytes: position, fileBytes };
}

/**
 * Splits a buffer read from `position` into frame bodies. Used on ranges the index already
 * vouched for, so a bad frame here means the file changed under us.
 */
export function* framesIn(buffer: Buffer): Generator<Buffer> {
  let at = 0;
  while (at + FRAME_HEADER_BYTES <= buffer.length) {
    const length = buffer.readUInt32LE(at);
    const body = buffer.subarray(at + FRAME_HEADER_BYTES, at + FRAME_HEADER_BYTES + length);
    if (body.length !== length || crc32(body) !== buffer.readUInt32LE(at + 4)) {
      throw new Error(`corrupt frame at byte ${at} of a range the index marked as durable`);
    }
    yield body;
    at += FRAME_HEADER_BYTES + length;
  }
}
