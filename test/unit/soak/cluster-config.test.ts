/**
 * The soak's 3-broker cluster stands in for the MSK cluster the CDKTF app defines: the durability
 * settings it is configured with must be the ones MSK gets (issue 13: replication 3,
 * min.insync.replicas 2, unclean leader election off).
 */
import { MSK_SERVER_PROPERTIES } from '../../../cdktf/constructs/streaming';
import { MSK_LIKE } from '../../../soak/stack';

it('uses the MSK configuration’s replication factor, min.insync.replicas and unclean-election setting', () => {
  expect({
    'default.replication.factor': String(MSK_LIKE.replicationFactor),
    'min.insync.replicas': String(MSK_LIKE.minInsyncReplicas),
    'unclean.leader.election.enable': String(MSK_LIKE.uncleanLeaderElection),
  }).toEqual({
    'default.replication.factor': MSK_SERVER_PROPERTIES['default.replication.factor'],
    'min.insync.replicas': MSK_SERVER_PROPERTIES['min.insync.replicas'],
    'unclean.leader.election.enable': MSK_SERVER_PROPERTIES['unclean.leader.election.enable'],
  });
});
