/**
 * The short soak inside `make test` (faults project: alone, in band, after the rest): 100 images
 * through both paths on the soak's own 3-broker cluster and moto processes (never the shared
 * stack), three faults of different kinds, then the checker. The full run is `make soak`
 * (docs/soak.md). Needs `make build` first: the pipeline runs as dist/soak/pipeline.js children.
 */
import { resolve } from 'node:path';
import { loadConfig } from '../../core';
import { projectRoot } from '../../local/stack/paths';
import { runSoak } from '../../soak/run';

describe('short soak', () => {
  it('loses, duplicates and strands nothing while the runner is killed, the leader broker is killed and DynamoDB freezes', async () => {
    const lines: string[] = [];
    const results = await runSoak({
      events: 100,
      seed: 13,
      faults: 3,
      faultKinds: ['kill-stream-runner', 'kill-partition-leader', 'freeze-moto-dynamodb'],
      maxSeconds: 900,
      localDir: resolve(projectRoot(), loadConfig().local.dataDir),
      log: (line) => void lines.push(line),
    });
    expect(results.faults).toMatchObject({ 'kill-stream-runner': 1, 'kill-partition-leader': 1, 'freeze-moto-dynamodb': 1 });
    expect(lines.filter((l) => l.includes('failed:'))).toEqual([]);
    expect(results.acknowledged.events + results.acknowledged.rest).toBe(100);
    expect(results.problems).toEqual([]);
    expect(results.finalWithOneNotification).toBe(100);
    expect({ lost: results.lost, duplicated: results.duplicated, stuck: results.stuck }).toEqual({ lost: 0, duplicated: 0, stuck: 0 });
  }, 1_000_000);
});
