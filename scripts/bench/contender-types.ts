import type { Running } from './contenders';
import type { WrkResult } from './wrk';

/** What the HTTP bench measures of each contender, and how it starts one (shared by its sections). */
export interface RunStats extends WrkResult { cpuUsPerRequest: number }
export interface LevelResult { connections: number; runs: RunStats[]; median: RunStats; min: number; max: number }
export interface ContenderResult { name: string; levels: LevelResult[]; peakRssMb: number }

export interface HttpBenchOptions { connections: number[]; runs: number; seconds: number }

/**
 * How to start a contender: a fresh process for each round of runs. `path` is what wrk asks for
 * (default ITEMS_PATH); `connections`, when set, limits the contender to those of the run's levels.
 */
export interface ContenderStart { readonly name: string; readonly path?: string; readonly connections?: readonly number[]; start(): Promise<Running> }
