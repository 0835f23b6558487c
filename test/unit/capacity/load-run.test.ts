import { parseLoadRunArgs, shareFromLog } from '../../../bench/capacity/load-run';

describe('capacity load run', () => {
  it("sums one runner's batch lines for its own topic only", () => {
    const log = [
      'stream-runner group g joined',
      'stream-runner topic=capacity-load-a partition=3 offsets=0-9 records=10 ms=812 committed=10',
      'stream-runner topic=capacity-load-a partition=7 offsets=0-4 records=5 ms=400 committed=5',
      'stream-runner topic=capacity-load-a partition=3 offsets=10-11 records=2 ms=90 committed=12',
      'stream-runner topic=other-topic partition=1 offsets=0-99 records=100 ms=1 committed=100',
    ].join('\n');
    expect(shareFromLog(log, 'capacity-load-a', 42)).toEqual({ pid: 42, partitions: [3, 7], records: 17, batches: 3 });
    expect(shareFromLog('', 'capacity-load-a', 1)).toEqual({ pid: 1, partitions: [], records: 0, batches: 0 });
  });

  it('is bounded in events, processes and time, with defaults of 240 events, 12 partitions and 2 processes', () => {
    expect(parseLoadRunArgs([])).toEqual({ events: 240, partitions: 12, processes: 2, timeoutSeconds: 300 });
    expect(parseLoadRunArgs(['--events=50', '--timeout-s=60'])).toMatchObject({ events: 50, timeoutSeconds: 60 });
    expect(() => parseLoadRunArgs(['--events=999999'])).toThrow(/Expected integer between 1 and 5000 for --events/);
    expect(() => parseLoadRunArgs(['--forever=1'])).toThrow(/for option/);
  });
});
