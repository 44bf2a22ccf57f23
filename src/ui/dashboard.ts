/**
 * The dashboard: wires the settings form, the URL, the run, the charts and the exports together.
 * Settings and links go through one path (planRun) before they reach the run; the page redraws
 * at animation-frame rate from what the run has recorded, never from inside the training loop.
 */
import { parseModel } from '../engine/modelFile.ts';
import { serializeSafetensorsModel } from '../engine/safetensorsModel.ts';
import type { GpuContext } from '../gpu/acquireDevice.ts';
import { resolveTrainingOptions, type TrainingOptions } from '../train/options.ts';
import type { LaneOverrides } from '../train/race.ts';
import { trainingLimitsOf } from '../train/trainingPlan.ts';
import { type ControlValues, Controls } from './controls.ts';
import {
  changeBetween,
  dashboardDefaults,
  formCandidate,
  isBoxProblem,
  validationProblem,
} from './dashboardOptions.ts';
import { element } from './dom.ts';
import { downloadFile } from './downloads.ts';
import { FieldViews } from './fieldViews.ts';
import {
  type BufferLimits,
  estimatePageMemory,
  formatBytes,
  heldBytes,
  leftOutText,
  maxDimension,
  memoryRefusal,
  pageStorage,
  storageText,
  pageExecution,
  parameterMemoryText,
} from './memoryEstimate.ts';
import { RaceView } from './raceView.ts';
import { RunCharts } from './runCharts.ts';
import { RunController, snapshotEvery } from './runController.ts';
import { showRecoveries } from './recoveryMessage.ts';
import { type RunPlan, planRun } from './runPlan.ts';
import { showRunStats } from './runStats.ts';
import { showTeaching, TeachingPanels } from './teachingView.ts';
import { type Hideable, optionsFromQuery, optionsToQuery } from './urlState.ts';
import { applyClassroomMode } from './classroomMode.ts';
import { MAX_MODEL_FILE_BYTES, planImportFile } from './modelImport.ts';
import './pageGlobals.ts';
import type { ViewName } from './viewPlans.ts';

/** The run from the link, or the defaults (with the reasons) when the link cannot be used. */
function initialPlan(limits: BufferLimits): {
  plan: RunPlan;
  hidden: Hideable[];
  race: LaneOverrides[] | null;
  problems: string[];
} {
  const requested = optionsFromQuery(window.location.search, dashboardDefaults);
  const { hidden, race } = requested;
  const problems = [...requested.problems];
  const planned = planRun({ ...requested.options }, limits, requested.rollback);
  if (planned.ok) return { plan: planned.plan, hidden, race, problems };
  problems.push(`${planned.problem}; using the default setup`);
  const fallback = planRun({ ...dashboardDefaults }, limits, requested.rollback);
  if (!fallback.ok) throw new Error(`even the default setup cannot run here: ${fallback.problem}`);
  return { plan: fallback.plan, hidden, race, problems };
}

export class Dashboard {
  private readonly limits: BufferLimits;
  private readonly controls: Controls;
  private readonly run: RunController;
  private readonly fields: FieldViews;
  private readonly teachingPanels: TeachingPanels;
  private readonly raceView: RaceView;
  /** The race's lanes once a link or the race view has set them; the URL keeps them. */
  private race: LaneOverrides[] | null;
  private readonly charts = new RunCharts(element('charts', HTMLElement));
  private readonly buttons = {
    play: element('play', HTMLButtonElement),
    pause: element('pause', HTMLButtonElement),
    step: element('step', HTMLButtonElement),
    reset: element('reset', HTMLButtonElement),
    exportModel: element('export-model', HTMLButtonElement),
    exportSafetensors: element('export-safetensors', HTMLButtonElement),
    exportCsv: element('export-csv', HTMLButtonElement),
    importModel: element('import-model', HTMLButtonElement),
  };
  private readonly importFile = element('import-file', HTMLInputElement);
  private importMessage = '';
  private optionsMessage = '';
  /** What the link's classroom mode hides; the URL keeps it as the settings change. */
  private readonly hidden: Hideable[];
  /** Set by the run and by settings; the next animation frame redraws and clears it. */
  private changed = true;

  /**
   * `gpu` is the device the page found; `acquire` gives a fresh one when it is lost, and the run
   * continues from its last snapshot there.
   */
  constructor(
    private readonly gpu: GpuContext,
    acquire: () => Promise<GpuContext>,
  ) {
    // All the limits the plans read: the test set's batch, for one, grows with the binding size.
    this.limits = {
      ...trainingLimitsOf(gpu.device.limits),
      maxBufferSize: gpu.device.limits.maxBufferSize,
    };
    const { plan, hidden, race, problems } = initialPlan(this.limits);
    this.hidden = hidden;
    this.race = race;
    applyClassroomMode(hidden);
    this.controls = new Controls({
      input: (values) => this.preview(values),
      commit: (values) => this.commit(values),
    });
    this.controls.show(plan.options);
    this.controls.showRollback(plan.rollback);
    this.setOptionsMessage(
      problems.length > 0 ? `The link's settings were not all usable: ${problems.join('; ')}.` : '',
    );
    this.run = new RunController(gpu, acquire, plan, () => {
      this.changed = true;
      this.publish();
    });
    this.fields = new FieldViews(this.run, () => {
      this.changed = true;
      this.publish();
    });
    this.teachingPanels = new TeachingPanels(this.run, () => (this.changed = true));
    this.raceView = new RaceView(
      this.run,
      () => this.run.plan.options,
      (lanes) => {
        this.race = lanes;
        this.writeUrl(this.run.plan);
      },
      race,
    );
    this.adopt(plan);
    this.wireButtons();
    window.jetpinn.loseDevice = (immediately) => this.run.loseDevice(immediately);
    void this.run.rebuild(plan, 'restart');
    const frame = () => {
      if (this.changed) this.render();
      requestAnimationFrame(frame);
    };
    requestAnimationFrame(frame);
  }

  /** The device is gone or reported an error: the run stops for good and says why. */
  stop(message: string): void {
    void this.run.fail(message);
    this.controls.setEnabled(false);
    this.raceView.setEnabled(false);
  }

  /** Settings being moved: show what they would cost before anything is rebuilt. */
  private preview(values: ControlValues): void {
    const candidate = formCandidate(this.run.plan.options, values);
    const problem = validationProblem(candidate);
    if (problem) {
      this.setMemoryText(`Not valid: ${problem}`, true);
      return;
    }
    this.showEstimate(resolveTrainingOptions(candidate));
  }

  /** What `options` cost the device, and the top of the d slider they allow. */
  private showEstimate(options: TrainingOptions): void {
    // A box problem's d is its number of spatial variables: the slider is off, its top moot.
    const execution = pageExecution(this.controls.rollback);
    if (!isBoxProblem(options.pde)) {
      this.controls.setDimensionMax(maxDimension(options, this.limits, execution));
    }
    // The run the page would build: with its points or tangents redrawn if only that fits.
    const storage = pageStorage(options, this.limits, execution);
    const estimate = estimatePageMemory(storage.options, this.limits, execution);
    const refusal = memoryRefusal(estimate, this.limits);
    const { run, views } = estimate;
    const viewText = views.map((v) => `${v.name} ${formatBytes(v.bytes)}`).join(', ');
    const parameters = parameterMemoryText(storage.options, this.limits, execution);
    this.setMemoryText(
      refusal !== null
        ? `${refusal} ${parameters}.`
        : `About ${formatBytes(estimate.totalBytes)} of GPU memory: the run ` +
            `${formatBytes(run.totalBytes)} (${run.jets} jets of order ${run.order} per point, ` +
            `${run.rowsPerPoint} rows each)${viewText ? ` and its views once drawn (${viewText})` : ''}. ` +
            `${storageText(storage)}${parameters}. ${leftOutText(estimate)}.`,
      refusal !== null,
    );
  }

  /** Settings confirmed: rebuild the run if they are valid and changed something. */
  private commit(values: ControlValues): void {
    const candidate = formCandidate(this.run.plan.options, values);
    const planned = planRun(candidate, this.limits, this.controls.rollback);
    if (!planned.ok) {
      // The form goes back to the settings that run, so it never shows a run that is not there.
      this.setOptionsMessage(`Not applied: ${planned.problem}`);
      this.controls.show(this.run.plan.options);
      this.controls.showRollback(this.run.plan.rollback);
      this.showEstimate(this.run.plan.options);
      return;
    }
    this.setOptionsMessage('');
    const optionsChange = changeBetween(this.run.plan.options, planned.plan.options);
    // The rollback copy changes how the run executes, not its values: the run goes on.
    const change =
      optionsChange === 'none' && planned.plan.rollback !== this.run.plan.rollback
        ? 'continue'
        : optionsChange;
    if (change === 'none') return;
    // A new PDE may fix or free d, the estimator and B: the form shows what the run uses.
    if (planned.plan.options.pde !== this.run.plan.options.pde) {
      this.controls.show(planned.plan.options);
    }
    this.adopt(planned.plan);
    void this.run.rebuild(planned.plan, change);
  }

  /** Makes `plan` the page's: URL, teaching view, memory estimate. */
  private adopt(plan: RunPlan): void {
    this.writeUrl(plan);
    showTeaching(plan);
    this.showEstimate(plan.options);
    this.changed = true;
  }

  /** The link reproduces the run, the classroom mode and the race. */
  private writeUrl(plan: RunPlan): void {
    const query = optionsToQuery(plan.options, this.hidden, this.race, plan.rollback);
    window.history.replaceState(null, '', query);
  }

  private wireButtons(): void {
    const { play, pause, step, reset, exportModel, exportCsv, importModel } = this.buttons;
    importModel.addEventListener('click', () => this.importFile.click());
    this.importFile.addEventListener('change', () => {
      const file = this.importFile.files?.[0];
      // Choosing the same file again must fire `change` again.
      this.importFile.value = '';
      if (file) void this.importModel(file);
    });
    play.addEventListener('click', () => this.run.play());
    pause.addEventListener('click', () => void this.run.pause());
    step.addEventListener('click', () => void this.run.stepOnce());
    reset.addEventListener('click', () => void this.run.reset());
    exportModel.addEventListener('click', () => void this.exportModel());
    this.buttons.exportSafetensors.addEventListener('click', () => void this.exportSafetensors());
    exportCsv.addEventListener('click', () =>
      downloadFile(
        `${this.fileStem()}-metrics.csv`,
        this.run.history.toCsv(this.run.plan.pde.metric),
        'text/csv',
      ),
    );
  }

  /** Loads a model file into a paused run; a bad file changes nothing and says why. */
  private async importModel(file: File): Promise<void> {
    if (file.size > MAX_MODEL_FILE_BYTES) {
      this.setImportMessage(
        `Not imported: ${file.name} is ${formatBytes(file.size)}, more than the ` +
          `${formatBytes(MAX_MODEL_FILE_BYTES)} a model file may have.`,
      );
      return;
    }
    let bytes: Uint8Array;
    try {
      bytes = new Uint8Array(await file.arrayBuffer());
    } catch (error) {
      this.setImportMessage(`Not imported: ${file.name} could not be read (${String(error)}).`);
      return;
    }
    const planned = planImportFile(file.name, bytes, this.limits, this.controls.rollback);
    if (!planned.ok) {
      this.setImportMessage(`Not imported: ${planned.problem}.`);
      return;
    }
    this.setOptionsMessage('');
    this.controls.show(planned.plan.options);
    this.adopt(planned.plan);
    await this.run.load(planned.plan, planned.state);
    if (this.run.state === 'error') {
      this.setImportMessage(`Not imported: ${this.run.message}`);
      return;
    }
    this.setImportMessage(
      `Imported ${file.name}: the network at step ${planned.state.step}, scored against the ` +
        'exact solution below. Play trains on from there.',
    );
    void this.fields.refresh();
  }

  private setImportMessage(text: string): void {
    this.importMessage = text;
    const message = element('import-message', HTMLParagraphElement);
    message.textContent = text;
    message.hidden = text === '';
    this.publish();
  }

  private async exportModel(): Promise<void> {
    const text = await this.run.modelFile();
    if (text !== null) downloadFile(`${this.fileStem()}-model.json`, text, 'application/json');
  }

  /** The same model as safetensors, for PyTorch and JAX (README, "Continue elsewhere"). */
  private async exportSafetensors(): Promise<void> {
    const text = await this.run.modelFile();
    if (text === null) return;
    const { architecture, parameters, training, metrics } = parseModel(text);
    downloadFile(
      `${this.fileStem()}-model.safetensors`,
      serializeSafetensorsModel(architecture, parameters, { training, metrics }),
      'application/octet-stream',
    );
  }

  private fileStem(): string {
    const { pde, dimension, estimator, seed } = this.run.plan.options;
    return `jetpinn-${pde}-d${dimension}-${estimator}-seed${seed}-step${this.run.step}`;
  }

  private setOptionsMessage(text: string): void {
    this.optionsMessage = text;
    const message = element('options-message', HTMLParagraphElement);
    message.textContent = text;
    message.hidden = text === '';
    this.publish();
  }

  private setMemoryText(text: string, refused: boolean): void {
    const estimate = element('memory-estimate', HTMLParagraphElement);
    estimate.textContent = text;
    estimate.dataset.refused = String(refused);
  }

  private render(): void {
    this.changed = false;
    const { state, message } = this.run;
    const status = element('run-message', HTMLParagraphElement);
    status.dataset.state = state;
    status.textContent = message || stateText[state];
    const { play, pause, step, reset, exportModel, exportCsv } = this.buttons;
    const resting = state === 'idle' || state === 'paused';
    play.disabled = !resting;
    step.disabled = !resting;
    pause.disabled = state !== 'running';
    reset.disabled = state === 'building';
    exportModel.disabled = state === 'building' || state === 'error';
    this.buttons.exportSafetensors.disabled = exportModel.disabled;
    exportCsv.disabled = this.run.history.logs.length === 0;
    this.buttons.importModel.disabled = state === 'building';
    showRecoveries(element('recovery-message', HTMLParagraphElement), this.run.recoveries);
    showRunStats(
      element('run-stats', HTMLElement),
      this.run,
      this.run.context?.adapter ?? this.gpu.adapter,
      Math.min(this.limits.maxStorageBufferBindingSize, this.limits.maxBufferSize),
      this.drawnViews(),
    );
    this.charts.render(this.run.history, this.run.step, this.run.plan.pde.metric);
    this.fields.update();
    this.teachingPanels.update();
    this.publish();
  }

  /** The views whose buffers the run holds now. */
  private drawnViews(): ViewName[] {
    // The run's callback may publish before the constructor has made the views.
    return [...(this.fields?.drawnViews() ?? []), ...(this.teachingPanels?.drawnViews() ?? [])];
  }

  /** Refreshes window.jetpinn.run (see runSnapshot.ts). */
  private publish(): void {
    // The constructor reports a link's problems before the run exists.
    if (!this.run) return;
    const { history } = this.run;
    window.jetpinn.run = {
      state: this.run.state,
      step: this.run.step,
      losses: history.logs.map((l) => l.loss),
      lossSteps: history.logs.map((l) => l.step),
      evaluations: [...history.evaluations],
      options: { ...this.run.plan.options },
      rollback: this.run.plan.rollback,
      message: this.run.message,
      optionsMessage: this.optionsMessage,
      importMessage: this.importMessage,
      divergedAt: history.divergedAt,
      builds: this.run.builds,
      jets: this.run.jets,
      memoryBytes: this.run.memoryBytes,
      estimatedMemoryBytes: heldBytes(this.run.plan.memory, this.drawnViews()),
      estimatedMemoryWithViewsBytes: this.run.plan.memory.totalBytes,
      iterationsPerSecond: this.run.iterationsPerSecond,
      lossChartPoints: this.charts.lossPoints,
      memorySamples: history.memory.map((m) => ({ ...m })),
      memoryChartPoints: this.charts.memoryPoints,
      residualStats: history.residuals.map((r) => ({ ...r })),
      recoveries: this.run.recoveries.map((r) => ({ ...r })),
      snapshotStep: this.run.snapshotStep,
      snapshotEvery,
    };
    // The field views publish before the constructor has made them, from the run's callback.
    if (this.fields) window.jetpinn.field = { ...this.fields.snapshot };
  }
}

const stateText: Record<RunController['state'], string> = {
  building: 'Building the trainer…',
  idle: 'Ready: press Play to train, or Step for one step.',
  running: 'Training…',
  paused: 'Paused.',
  done: 'Finished.',
  diverged: 'Diverged.',
  error: 'Error.',
};
