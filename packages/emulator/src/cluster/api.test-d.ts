import { describe, expectTypeOf, it } from 'vitest';
import { startEmulatorCluster } from '../index.js';
import type { EmulatorClusterNode, EmulatorOptions, MoveSlotOptions, RunningEmulatorCluster, StartEmulatorClusterOptions } from '../index.js';

describe('cluster API types', () => {
  it('startEmulatorCluster takes the Emulator options plus the layout', () => {
    expectTypeOf<StartEmulatorClusterOptions>().toMatchTypeOf<EmulatorOptions>();
    expectTypeOf<StartEmulatorClusterOptions['primaries']>().toEqualTypeOf<number | undefined>();
    expectTypeOf<StartEmulatorClusterOptions['replicas']>().toEqualTypeOf<number | undefined>();
    expectTypeOf(startEmulatorCluster).returns.resolves.toEqualTypeOf<RunningEmulatorCluster>();
  });

  it('a running cluster lists its nodes and moves slots', () => {
    expectTypeOf<RunningEmulatorCluster['nodes']>().toEqualTypeOf<readonly EmulatorClusterNode[]>();
    expectTypeOf<RunningEmulatorCluster['url']>().toEqualTypeOf<string>();
    expectTypeOf<RunningEmulatorCluster['moveSlot']>().toEqualTypeOf<(slot: number, toNodeId: string, options?: MoveSlotOptions) => Promise<void>>();
    expectTypeOf<RunningEmulatorCluster['close']>().returns.toEqualTypeOf<Promise<void>>();
    expectTypeOf<RunningEmulatorCluster['addPrimary']>().returns.resolves.toEqualTypeOf<EmulatorClusterNode>();
    expectTypeOf<RunningEmulatorCluster['removeNode']>().toEqualTypeOf<(nodeId: string) => Promise<void>>();
    expectTypeOf<RunningEmulatorCluster['announce']>().parameter(1).toEqualTypeOf<{ readonly host?: string; readonly port: number }>();
    expectTypeOf<EmulatorClusterNode['role']>().toEqualTypeOf<'primary' | 'replica'>();
    expectTypeOf<EmulatorClusterNode['redirects']['moved']>().toEqualTypeOf<number>();
  });

  it('a running cluster kills, restarts and fails over nodes, with a node timeout', () => {
    expectTypeOf<StartEmulatorClusterOptions['nodeTimeout']>().toEqualTypeOf<number | undefined>();
    expectTypeOf<RunningEmulatorCluster['kill']>().toEqualTypeOf<(nodeId: string) => Promise<void>>();
    expectTypeOf<RunningEmulatorCluster['restart']>().toEqualTypeOf<(nodeId: string) => Promise<EmulatorClusterNode>>();
    expectTypeOf<RunningEmulatorCluster['failover']>().toEqualTypeOf<(replicaId: string, options?: { readonly force?: boolean }) => void>();
    expectTypeOf<RunningEmulatorCluster['pauseReplication']>().toEqualTypeOf<(replicaId: string) => void>();
    expectTypeOf<RunningEmulatorCluster['resumeReplication']>().toEqualTypeOf<(replicaId: string) => void>();
    expectTypeOf<RunningEmulatorCluster['replicationBacklog']>().toEqualTypeOf<(replicaId: string) => number>();
    expectTypeOf<EmulatorClusterNode['alive']>().toEqualTypeOf<boolean>();
    expectTypeOf<EmulatorClusterNode['emulator']['crdtOpIds']>().toEqualTypeOf<(key: string, db?: number) => string[]>();
  });
});
