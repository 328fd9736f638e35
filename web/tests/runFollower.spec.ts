import { describe, expect, it } from "vitest";
import type { RunDetail } from "../src/api/types";
import { RunFollower, type StreamLike } from "../src/lib/runFollower";

class FakeStream implements StreamLike {
  onerror: ((event: Event) => void) | null = null;
  closed = false;
  private listeners = new Map<string, ((event: MessageEvent<string>) => void)[]>();
  addEventListener(type: string, listener: (event: MessageEvent<string>) => void): void {
    this.listeners.set(type, [...(this.listeners.get(type) ?? []), listener]);
  }
  emit(type: string, data: object): void {
    for (const listener of this.listeners.get(type) ?? []) listener(new MessageEvent(type, { data: JSON.stringify(data) }));
  }
  close(): void {
    this.closed = true;
  }
}

const detail = (status: RunDetail["status"], steps: number, logs: number): RunDetail =>
  ({
    id: "r1",
    status,
    container: "web",
    started_at: "2026-12-04T10:00:00Z",
    finished_at: status === "running" ? null : "2026-12-04T10:00:09Z",
    steps: Array.from({ length: steps }, (_, i) => ({ seq: i + 1, step: (["resolve", "pull", "gate", "snapshot"] as const)[i] ?? "create", at: `2026-12-04T10:00:0${i}Z`, data: null })),
    logs: Array.from({ length: logs }, (_, i) => ({ at: "2026-12-04T10:00:01Z", level: "INFO", message: `line ${i}` })),
  }) as unknown as RunDetail;

describe("RunFollower", () => {
  it("keeps every step once across a dropped connection", async () => {
    const streams: FakeStream[] = [];
    const loads = [detail("running", 1, 0), detail("running", 2, 1)];
    const follower = new RunFollower(
      "r1",
      {
        load: async () => loads.shift() ?? detail("running", 2, 1),
        open: () => {
          const stream = new FakeStream();
          streams.push(stream);
          return stream;
        },
        wait: async () => undefined,
      },
      () => undefined,
    );
    await follower.start();
    const first = streams[0]!;
    first.emit("step", { seq: 1, step: "resolve", at: "2026-12-04T10:00:00Z" });
    first.emit("step", { seq: 2, step: "pull", at: "2026-12-04T10:00:01Z" });
    first.emit("log", { at: "2026-12-04T10:00:01Z", level: "INFO", message: "line 0" });
    first.onerror?.(new Event("error"));
    await new Promise((resolve) => setTimeout(resolve, 0));

    expect(first.closed).toBe(true);
    expect(follower.view.reconnects).toBe(1);
    const second = streams[1]!;
    second.emit("step", { seq: 1, step: "resolve", at: "2026-12-04T10:00:00Z" });
    second.emit("step", { seq: 2, step: "pull", at: "2026-12-04T10:00:01Z" });
    second.emit("log", { at: "2026-12-04T10:00:01Z", level: "INFO", message: "line 0" });
    second.emit("step", { seq: 3, step: "gate", at: "2026-12-04T10:00:02Z" });
    second.emit("log", { at: "2026-12-04T10:00:01Z", level: "INFO", message: "line 0" });
    second.emit("finished", { status: "updated", reason: "", finished_at: "2026-12-04T10:00:09Z", downtime_ms: 420, new_digest: "sha256:b" });

    expect(follower.view.steps.map((s) => s.step)).toEqual(["resolve", "pull", "gate"]);
    expect(follower.view.logs.map((l) => l.message)).toEqual(["line 0", "line 0"]);
    expect(follower.view.detail?.status).toBe("updated");
    expect(follower.view.detail?.downtime_ms).toBe(420);
    expect(second.closed).toBe(true);
    expect(follower.view.connection).toBe("closed");
  });

  it("opens no stream for a finished run", async () => {
    let opened = 0;
    const follower = new RunFollower("r1", { load: async () => detail("updated", 4, 2), open: () => (opened++, new FakeStream()), wait: async () => undefined }, () => undefined);
    await follower.start();
    expect(opened).toBe(0);
    expect(follower.view.steps).toHaveLength(4);
  });
});
