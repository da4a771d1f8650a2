import type { LogRecord, OutgoingRecord } from '../event-log.port';

/**
 * Body of one record frame: `u8 format | f64 offset | f64 timestamp | u32 key bytes | key |
 * u32 header bytes | headers as JSON | value`. The offset is stored (not only implied by the
 * position) so a scan can check the file is the sequence it claims to be.
 */
const FORMAT_V1 = 1;
const FIXED_BYTES = 1 + 8 + 8 + 4 + 4;

export function encodeRecordBody(record: OutgoingRecord, offset: number, timestamp: number): Buffer {
  const key = Buffer.from(record.key, 'utf8');
  const headers = Buffer.from(record.headers && Object.keys(record.headers).length > 0 ? JSON.stringify(record.headers) : '', 'utf8');
  const body = Buffer.allocUnsafe(FIXED_BYTES + key.length + headers.length + record.value.length);
  let at = body.writeUInt8(FORMAT_V1, 0);
  at = body.writeDoubleLE(offset, at);
  at = body.writeDoubleLE(timestamp, at);
  at = body.writeUInt32LE(key.length, at);
  at += key.copy(body, at);
  at = body.writeUInt32LE(headers.length, at);
  at += headers.copy(body, at);
  record.value.copy(body, at);
  return body;
}

/** Reads only the stored offset, which the scan on open needs for every record. */
export function offsetOfRecordBody(body: Buffer): number {
  if (body.length < FIXED_BYTES || body.readUInt8(0) !== FORMAT_V1) return Number.NaN;
  return body.readDoubleLE(1);
}

export function decodeRecordBody(body: Buffer, topic: string, partition: number): LogRecord {
  const format = body.readUInt8(0);
  if (format !== FORMAT_V1) throw new Error(`unknown record format ${format} in ${topic}/${partition}`);
  const offset = body.readDoubleLE(1);
  const timestamp = body.readDoubleLE(9);
  let at = 17;
  const keyLength = body.readUInt32LE(at);
  at += 4;
  const key = body.toString('utf8', at, at + keyLength);
  at += keyLength;
  const headersLength = body.readUInt32LE(at);
  at += 4;
  const headers = headersLength === 0 ? {} : (JSON.parse(body.toString('utf8', at, at + headersLength)) as Record<string, string>);
  at += headersLength;
  // A copy, so a handler keeping the value does not pin the whole read buffer.
  const value = Buffer.from(body.subarray(at));
  return { topic, partition, offset, key, value, headers, timestamp };
}
