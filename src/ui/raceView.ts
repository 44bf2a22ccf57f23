/**
 * The race view: two to four lanes (estimators, B, collapsed or not, gradient modes, the learning
 * rate) train the page's problem side by side from the same initial weights and seed
 * (src/train/race.ts), taking turns on the run's device a chunk at a time. It charts each lane's
 * test error against its steps and against its own wall-clock time, and tabulates steps, it/s,
 * memory and the last error. Starting a race pauses the page's run; pressing Play stops the race
 * after the lane in flight. The lanes live in the link (`race=`), so a link reproduces a race.
 */
import { formatBytes } from '../train/memoryBudget.ts';
import { type LaneOverrides, type LaneProgress, Race, type RaceChunk } from '../train/race.ts';
import type { TrainingOptions } from '../train/options.ts';
import { type ChartSeries, LineChart } from './charts/lineChart.ts';
import { element } from './dom.ts';
import type { RunController } from './runController.ts';
import { lanesToText, parseLanes } from './urlState.ts';
import './pageGlobals.ts';

/**
 * Steps a lane trains per turn. Small enough that the lanes alternate many times in a short race
 * (the interleaving is what makes their times comparable on a busy machine), large enough that a
 * turn's synchronisation with the GPU is a small part of it.
 */
export const RACE_CHUNK_STEPS = 50;

export type RaceState = 'idle' | 'building' | 'running' | 'done' | 'stopped' | 'failed';

/** What the page exposes as `window.jetpinn.race`. */
export interface RaceSnapshot {
  state: RaceState;
  message: string;
  /** The lanes as text (the link's `race` value). */
  lanes: string;
  progress: LaneProgress[];
  /** The turns in the order they ran. */
  chunks: RaceChunk[];
}

const DEFAULT_LANES: LaneOverrides[] = [
  { estimator: 'sparse', jetsPerPoint: 4 },
  { estimator: 'exact' },
];

/** Series points of a lane's errors against its steps or its own seconds. */
function errorSeries(progress: readonly LaneProgress[], axis: 'step' | 'seconds'): ChartSeries[] {
  return progress.map((lane, index) => {
    const secondsAt = new Map(lane.timeline.map((t) => [t.step, t.seconds]));
    return {
      id: `lane${index}`,
      label: lane.label,
      dots: true,
      points: lane.evaluations.map((e) => ({
        x: axis === 'step' ? e.step : (secondsAt.get(e.step) ?? NaN),
        y: e.relativeL2 ?? NaN,
      })),
    };
  });
}

export class RaceView {
  private readonly lanesInput = element('race-lanes', HTMLInputElement);
  private readonly startButton = element('race-start', HTMLButtonElement);
  private readonly stopButton = element('race-stop', HTMLButtonElement);
  private readonly status = element('race-message', HTMLElement);
  private readonly table = element('race-table', HTMLTableElement);
  private readonly byStep: LineChart;
  private readonly byTime: LineChart;
  private race: Race | null = null;
  private stopping = false;
  /** False once the page has no device for good (Dashboard.stop): no race may start again. */
  private enabled = true;
  snapshot: RaceSnapshot;

  /**
   * `options` gives the page's current run (the base every lane starts from); `lanesChanged`
   * writes the lanes into the link.
   */
  constructor(
    private readonly run: RunController,
    private readonly options: () => TrainingOptions,
    private readonly lanesChanged: (lanes: LaneOverrides[]) => void,
    lanes: LaneOverrides[] | null,
  ) {
    const charts = element('race-charts', HTMLElement);
    this.byStep = new LineChart(charts, {
      id: 'race-step-chart',
      title: 'Race: error against step',
      xLabel: 'step',
      yLabel: 'relative L2',
      yScale: 'log',
    });
    this.byTime = new LineChart(charts, {
      id: 'race-time-chart',
      title: "Race: error against each lane's own wall-clock time",
      xLabel: 'seconds',
      yLabel: 'relative L2',
      yScale: 'log',
    });
    this.lanesInput.value = lanesToText(lanes ?? DEFAULT_LANES);
    this.snapshot = {
      state: 'idle',
      message: '',
      lanes: this.lanesInput.value,
      progress: [],
      chunks: [],
    };
    this.startButton.addEventListener('click', () => void this.start());
    this.stopButton.addEventListener('click', () => (this.stopping = true));
    this.lanesInput.addEventListener('change', () => {
      const parsed = parseLanes(this.lanesInput.value);
      if ('problem' in parsed) this.setState('idle', parsed.problem);
      else this.lanesChanged(parsed.lanes);
    });
    this.showButtons();
    this.publish();
  }

  /** Whether a race may start at all (the page has a device); none starts while one runs. */
  setEnabled(enabled: boolean): void {
    this.enabled = enabled;
    this.showButtons();
  }

  private showButtons(): void {
    const busy = this.snapshot.state === 'building' || this.snapshot.state === 'running';
    this.startButton.disabled = !this.enabled || busy;
    this.stopButton.disabled = !busy;
  }

  /** Builds the lanes and trains them in turns until all are done or the race is stopped. */
  async start(): Promise<void> {
    const parsed = parseLanes(this.lanesInput.value);
    if ('problem' in parsed) {
      this.setState('failed', parsed.problem);
      return;
    }
    this.lanesChanged(parsed.lanes);
    this.stopping = false;
    this.disposeRace();
    await this.run.pause();
    this.setState('building', 'Building the lanes and scoring the untrained networks…');
    try {
      this.race = await this.run.withDevice((device) =>
        Race.create(device, this.options(), parsed.lanes),
      );
      if (!this.race) throw new Error('no GPU device to race on');
      this.setState('running', 'Racing…');
      while (!this.race.done) {
        if (this.stopping || this.run.state === 'running') {
          const why = this.stopping ? 'stopped' : 'stopped: the page run is playing';
          this.setState('stopped', `Race ${why} after the lanes' last turn.`);
          break;
        }
        const race: Race = this.race;
        await this.run.withDevice(() => race.round(RACE_CHUNK_STEPS));
        this.draw();
      }
      if (this.race.done) this.setState('done', 'Race finished: every lane ran all its steps.');
    } catch (error) {
      this.setState(
        'failed',
        `Could not race: ${error instanceof Error ? error.message : String(error)}`,
      );
    } finally {
      this.draw();
      // The lanes' buffers go as soon as the race ends; its numbers stay in the snapshot.
      this.disposeRace();
      this.showButtons();
    }
  }

  private disposeRace(): void {
    this.race?.dispose();
    this.race = null;
  }

  private draw(): void {
    if (!this.race) return;
    const progress = this.race.progress();
    this.snapshot = { ...this.snapshot, progress, chunks: [...this.race.chunks] };
    const steps: [number, number] = [0, Math.max(...progress.map((l) => l.options.steps))];
    this.byStep.render(errorSeries(progress, 'step'), [], steps);
    this.byTime.render(errorSeries(progress, 'seconds'), []);
    const rows = progress.map((lane) => {
      const last = lane.evaluations.at(-1)?.relativeL2;
      const rate = lane.seconds > 0 ? lane.step / lane.seconds : 0;
      return [
        lane.label,
        String(lane.step),
        rate.toFixed(1),
        formatBytes(lane.memoryBytes),
        last === undefined || last === null ? '–' : last.toExponential(2),
        lane.stopped ?? '',
      ];
    });
    const body = this.table.tBodies[0] ?? this.table.createTBody();
    body.replaceChildren(
      ...rows.map((cells, index) => {
        const row = document.createElement('tr');
        row.className = `series-lane${index}`;
        for (const text of cells) row.insertCell().textContent = text;
        return row;
      }),
    );
    this.publish();
  }

  private setState(state: RaceState, message: string): void {
    this.snapshot = { ...this.snapshot, state, message, lanes: this.lanesInput.value };
    this.status.textContent = message;
    this.showButtons();
    this.publish();
  }

  private publish(): void {
    window.jetpinn.race = { ...this.snapshot };
  }
}
