/**
 * The run's charts: loss (raw and smoothed, the divergence marked), test error against the exact
 * solution, throughput, the PDE residual at the collocation points, and GPU memory. They redraw
 * from the history at animation-frame rate, never from inside the training loop.
 */
import type { PdeMetric } from '../pdes/index.ts';
import { type ChartSeries, LineChart } from './charts/lineChart.ts';
import { type Point, smoothLog } from './charts/series.ts';
import type { RunHistory } from './runHistory.ts';

export class RunCharts {
  private readonly loss: LineChart;
  private readonly error: LineChart;
  private readonly throughput: LineChart;
  private readonly memory: LineChart;
  private readonly residual: LineChart;
  /** Vertices of the raw loss path last drawn (tests compare it with the number of logs). */
  lossPoints = 0;
  /** Vertices of the GPU memory path last drawn. */
  memoryPoints = 0;

  constructor(parent: HTMLElement) {
    this.loss = new LineChart(parent, {
      id: 'loss-chart',
      title: 'Training loss (the weights being trained)',
      xLabel: 'step',
      yLabel: 'loss',
      yScale: 'log',
    });
    this.error = new LineChart(parent, {
      id: 'error-chart',
      // The page's trainers evaluate the weight average (pageExecution), the loss is of the
      // weights being trained: the titles say which is which.
      title:
        'Error of the averaged weights against the known solution (test set, or u(0, 0) against its reference)',
      xLabel: 'step',
      yLabel: 'relative error',
      yScale: 'log',
    });
    this.throughput = new LineChart(parent, {
      id: 'throughput-chart',
      title: 'Throughput',
      xLabel: 'step',
      yLabel: 'steps per second',
      yScale: 'linear',
    });
    this.residual = new LineChart(parent, {
      id: 'residual-chart',
      title: 'PDE residual at the collocation points (exact operator, at each field-view refresh)',
      xLabel: 'step',
      yLabel: '|r|',
      yScale: 'log',
    });
    this.memory = new LineChart(parent, {
      id: 'memory-chart',
      title: 'GPU memory in use (buffers of the run and its views)',
      xLabel: 'step',
      yLabel: 'MiB',
      yScale: 'linear',
    });
  }

  /**
   * Redraws from the history; every chart spans steps 0 to `step`. The error chart draws the
   * problem's metric: relative L2/L1 on a test set, or the relative error of u(0, 0).
   */
  render(history: RunHistory, step: number, metric: PdeMetric): void {
    const steps: [number, number] = [0, Math.max(step, 1)];
    const raw: Point[] = history.logs.map((l) => ({ x: l.step, y: l.loss }));
    const evaluations = (key: 'relativeL2' | 'relativeL1' | 'pointRelativeError'): Point[] =>
      history.evaluations.flatMap((e) => {
        const y = e[key];
        return y === undefined ? [] : [{ x: e.step, y }];
      });
    const divergence =
      history.divergedAt === null
        ? []
        : [{ x: history.divergedAt, label: `diverged at step ${history.divergedAt}` }];
    const drawn = this.loss.render(
      [
        { id: 'loss', label: 'loss', points: raw },
        { id: 'loss-smoothed', label: 'smoothed (EMA of log)', points: smoothLog(raw) },
      ],
      divergence,
      steps,
    );
    this.lossPoints = drawn.get('loss') ?? 0;
    const errors: ChartSeries[] =
      metric === 'point-relative-error'
        ? [
            {
              id: 'point-error',
              label: 'relative error of u(0, 0)',
              points: evaluations('pointRelativeError'),
              dots: true,
            },
          ]
        : [
            {
              id: 'relative-l2',
              label: 'relative L2',
              points: evaluations('relativeL2'),
              dots: true,
            },
            {
              id: 'relative-l1',
              label: 'relative L1',
              points: evaluations('relativeL1'),
              dots: true,
            },
          ];
    this.error.render(errors, divergence, steps);
    this.throughput.render(
      [
        {
          id: 'iterations',
          label: 'steps/s',
          points: history.throughput.map((t) => ({ x: t.step, y: t.iterationsPerSecond })),
        },
      ],
      [],
      steps,
    );
    this.residual.render(
      [
        {
          id: 'residual-rms',
          label: 'RMS r',
          points: history.residuals.map((r) => ({ x: r.step, y: r.rms })),
          dots: true,
        },
        {
          id: 'residual-max',
          label: 'max |r|',
          points: history.residuals.map((r) => ({ x: r.step, y: r.maxAbs })),
          dots: true,
        },
      ],
      divergence,
      steps,
    );
    const memory = this.memory.render(
      [
        {
          id: 'memory',
          label: 'GPU buffers (MiB)',
          points: history.memory.map((m) => ({ x: m.step, y: m.bytes / 2 ** 20 })),
          dots: true,
        },
      ],
      [],
      steps,
    );
    this.memoryPoints = memory.get('memory') ?? 0;
  }
}
