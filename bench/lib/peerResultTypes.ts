/** The shape of bench/results/peer-<adapter>.json, shared by bench/peer.ts and the report. */
import type { PeerConfig, PeerPageInfo, PeerRunResult } from '../page/peerTypes.ts';
import type { ResultsHeader } from './results.ts';

export type PeerConfigResult =
  | ({ status: 'measured' } & PeerRunResult)
  | { status: 'not-run' | 'failed'; config: PeerConfig; reason: string };

export interface PeerResults extends ResultsHeader {
  page: PeerPageInfo;
  points: number;
  depth: number;
  capSeconds: number;
  budgetSeconds: number;
  configs: PeerConfigResult[];
}
