// Follows one run live: its detail first, then its event stream. A dropped connection is
// reopened after a short wait, with the detail read again; since every connection tells the
// run's story from the start, events already shown are recognised by their position in it
// (steps by `seq`, log lines by their index) and nothing is lost or shown twice.
import type { RunDetail, RunLog, RunStatus, RunStep, StepName } from "../api/types";

export type Connection = "connecting" | "live" | "reconnecting" | "closed";

export interface RunView {
  detail: RunDetail | null;
  steps: RunStep[];
  logs: RunLog[];
  connection: Connection;
  reconnects: number;
}

interface StepEvent { seq: number; step: StepName; at: string }
interface LogEvent { at: string; level: string; message: string }
interface FinishedEvent {
  status: RunStatus;
  reason: string;
  finished_at: string | null;
  downtime_ms: number | null;
  new_digest: string | null;
}

export interface StreamLike {
  addEventListener(type: string, listener: (event: MessageEvent<string>) => void): void;
  onerror: ((event: Event) => void) | null;
  close(): void;
}

export interface FollowerDeps {
  load: (id: string) => Promise<RunDetail>;
  open: (url: string) => StreamLike;
  wait: (ms: number) => Promise<void>;
}

const BACKOFF_MS = [500, 1000, 2000, 4000, 8000];

export class RunFollower {
  readonly view: RunView = { detail: null, steps: [], logs: [], connection: "connecting", reconnects: 0 };
  private stream: StreamLike | null = null;
  private stopped = false;
  private logIndex = 0;

  constructor(
    private readonly runId: string,
    private readonly deps: FollowerDeps,
    private readonly changed: (view: RunView) => void,
  ) {}

  async start(): Promise<void> {
    await this.refresh();
    if (!this.finished()) this.connect();
  }

  stop(): void {
    this.stopped = true;
    this.stream?.close();
    this.stream = null;
    this.view.connection = "closed";
  }

  private finished(): boolean {
    return this.view.detail !== null && this.view.detail.status !== "running";
  }

  private async refresh(): Promise<void> {
    const detail = await this.deps.load(this.runId);
    this.view.detail = detail;
    this.mergeSteps(detail.steps);
    if (detail.logs.length > this.view.logs.length) this.view.logs = [...detail.logs];
    if (this.finished()) this.view.connection = "closed";
    this.changed(this.view);
  }

  private connect(): void {
    if (this.stopped) return;
    this.logIndex = 0;
    const stream = this.deps.open(`/api/runs/${encodeURIComponent(this.runId)}/events`);
    this.stream = stream;
    stream.addEventListener("step", (event) => this.onStep(JSON.parse(event.data) as StepEvent));
    stream.addEventListener("log", (event) => this.onLog(JSON.parse(event.data) as LogEvent));
    stream.addEventListener("finished", (event) => this.onFinished(JSON.parse(event.data) as FinishedEvent));
    stream.addEventListener("open", () => {
      this.view.connection = "live";
      this.changed(this.view);
    });
    stream.onerror = () => void this.dropped(stream);
  }

  private onStep(event: StepEvent): void {
    this.view.connection = "live";
    this.mergeSteps([{ seq: event.seq, step: event.step, at: event.at }]);
    this.changed(this.view);
  }

  private onLog(event: LogEvent): void {
    this.view.connection = "live";
    if (this.logIndex >= this.view.logs.length) this.view.logs.push({ at: event.at, level: event.level, message: event.message });
    this.logIndex += 1;
    this.changed(this.view);
  }

  private onFinished(event: FinishedEvent): void {
    this.stream?.close();
    this.stream = null;
    if (this.view.detail) {
      this.view.detail = { ...this.view.detail, ...event };
    }
    this.view.connection = "closed";
    this.changed(this.view);
    void this.refresh().catch(() => undefined);
  }

  private async dropped(stream: StreamLike): Promise<void> {
    stream.close();
    if (this.stopped || this.stream !== stream || this.finished()) return;
    this.stream = null;
    this.view.connection = "reconnecting";
    this.changed(this.view);
    const pause = BACKOFF_MS[Math.min(this.view.reconnects, BACKOFF_MS.length - 1)] ?? 8000;
    this.view.reconnects += 1;
    await this.deps.wait(pause);
    if (this.stopped) return;
    try {
      await this.refresh();
    } catch {
      void this.dropped(stream);
      return;
    }
    if (!this.finished()) this.connect();
  }

  private mergeSteps(steps: RunStep[]): void {
    const known = new Set(this.view.steps.map((step) => step.seq));
    const added = steps.filter((step) => !known.has(step.seq));
    if (added.length) this.view.steps = [...this.view.steps, ...added].sort((a, b) => a.seq - b.seq);
  }
}
