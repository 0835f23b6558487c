import { createHash } from 'node:crypto';
import { ConfigError, InvalidParameterError } from '../../../core/errors';
import { ENV, loadConfig } from '../../../core/config';
import { DEFAULT_STATUS_SHARDS } from '../../../core/config';
import { MAX_STATUS_SHARDS, statusDayKey, statusDayKeys, statusDayShardKey, statusShardOf } from '../../../core/adapters/dynamodb/status-key';

const AWS_ENV = { [ENV.snsTopicArn]: 'arn:aws:sns:eu-west-1:111122223333:images', [ENV.region]: 'eu-west-1' };

describe('byStatusDay write shards', () => {
  it('keeps the unsharded STATUS#YYYY-MM-DD value with one shard (the running table needs no change)', () => {
    expect(statusDayKey('RECEIVED', '2026-11-30T10:11:12.000Z', 'any-id', 1)).toBe('RECEIVED#2026-11-30');
    expect(statusDayKeys('PROCESSED', '2026-11-30', 1)).toEqual(['PROCESSED#2026-11-30']);
  });

  it('picks the shard from the first four bytes of SHA-256 of the image id (hand-checked)', () => {
    const id = '0f8fad5b-d9cb-469f-a165-70867728950e';
    const expected = createHash('sha256').update(id).digest().readUInt32BE(0) % 16;
    expect(statusShardOf(id, 16)).toBe(expected);
    expect(statusDayKey('FAILED', '2026-11-30T23:59:59.999Z', id, 16)).toBe(`FAILED#2026-11-30#${expected}`);
    // sha256("a") starts ca978112 → 3398926610 % 10 = 0; sha256("b") starts 3e23e816 → 1042540566 % 10 = 6.
    expect(statusShardOf('a', 10)).toBe(0);
    expect(statusShardOf('b', 10)).toBe(6);
  });

  it('puts a record in the same shard in every status, so a transition moves it within its shard', () => {
    const id = 'img-42';
    const shard = statusShardOf(id, 8);
    expect(statusDayKey('RECEIVED', '2026-11-30T00:00:00Z', id, 8)).toBe(`RECEIVED#2026-11-30#${shard}`);
    expect(statusDayKey('PROCESSED', '2026-11-30T00:00:00Z', id, 8)).toBe(`PROCESSED#2026-11-30#${shard}`);
  });

  it('spreads time-ordered ids evenly: 3,200 ids over 32 shards, every shard within ±40 % of the mean', () => {
    const counts = new Array<number>(32).fill(0);
    for (let i = 0; i < 3200; i++) counts[statusShardOf(`01JDY${String(i).padStart(8, '0')}`, 32)]! += 1;
    expect(Math.min(...counts)).toBeGreaterThanOrEqual(60);
    expect(Math.max(...counts)).toBeLessThanOrEqual(140);
  });

  it('lists every shard and then the unsharded key that records from before sharding carry', () => {
    expect(statusDayKeys('RECEIVED', '2026-11-30', 3)).toEqual(['RECEIVED#2026-11-30#0', 'RECEIVED#2026-11-30#1', 'RECEIVED#2026-11-30#2', 'RECEIVED#2026-11-30']);
  });

  it('keeps every old key readable when the shard count is raised', () => {
    const before = statusDayKeys('PROCESSED', '2026-11-30', 8);
    const after = statusDayKeys('PROCESSED', '2026-11-30', 32);
    expect(after).toEqual(expect.arrayContaining(before));
  });

  it.each([0, -1, 1.5, MAX_STATUS_SHARDS + 1, Number.NaN])('rejects %p shards with a uniform message', (shards) => {
    expect(() => statusShardOf('x', shards)).toThrow(InvalidParameterError);
    expect(() => statusShardOf('x', shards)).toThrow(/Expected integer between 1 and 256 for shards/);
  });

  it('rejects a day that is not YYYY-MM-DD and a shard out of range', () => {
    expect(() => statusDayKeys('RECEIVED', '30/11/2026', 4)).toThrow(/Expected a UTC day as YYYY-MM-DD for day/);
    expect(() => statusDayShardKey('RECEIVED', '2026-11-30', 4, 4)).toThrow(/Expected integer between 0 and 3 for shard/);
  });

  it('reads the shard count from STATUS_INDEX_SHARDS through loadConfig, with the documented default', () => {
    expect(loadConfig(AWS_ENV).table.statusShards).toBe(DEFAULT_STATUS_SHARDS);
    expect(loadConfig({ ...AWS_ENV, [ENV.statusIndexShards]: '4' }).table.statusShards).toBe(4);
    expect(() => loadConfig({ ...AWS_ENV, [ENV.statusIndexShards]: '0' })).toThrow(ConfigError);
    expect(() => loadConfig({ ...AWS_ENV, [ENV.statusIndexShards]: '0' })).toThrow(/STATUS_INDEX_SHARDS must be an integer between 1 and 256, got "0"/);
  });
});
