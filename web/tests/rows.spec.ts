import { describe, expect, it } from "vitest";
import type { ContainerFromApi, Environment, Run, Setting } from "../src/api/types";
import { buildRows, filterRows } from "../src/lib/rows";

const env: Environment = { id: 1, name: "local", endpoint: { url: "unix:///var/run/docker.sock", tls: null, insecure: false }, labels: {}, registry_credentials: "none", created_at: "2026-12-01T00:00:00Z" };
const container = (name: string, status: ContainerFromApi["status"], extra: Partial<ContainerFromApi> = {}): ContainerFromApi => ({
  environment_id: 1,
  name,
  container_id: `${name}-id`,
  image: `127.0.0.1:5000/${name}:1.2`,
  status,
  checked_at: "2026-12-04T10:00:00Z",
  current_digest: "sha256:aaaaaaaaaaaaaaaaaaaaaaaa",
  remote_digest: status === "update_available" ? "sha256:bbbbbbbbbbbbbbbbbbbbbbbb" : "sha256:aaaaaaaaaaaaaaaaaaaaaaaa",
  reason: status === "update_available" ? "the tag points at a new digest" : "",
  ...extra,
});
const setting = { id: 7, environment_id: 1, container_name: "web", enabled: true, schedule_type: "custom", cron_expression: "30 2 * * 1", timezone: "UTC", vulnerability_criteria: "high", policy: "digest", next_run_at: "2026-12-07T02:30:00Z", last_status: null, last_run_id: null } as unknown as Setting;
const run = { id: "r1", environment: "local", container: "web", status: "updated", started_at: "2026-12-03T00:00:00Z" } as Run;

describe("buildRows", () => {
  it("joins the check, the setting and the latest run", () => {
    const [web, db] = buildRows([container("web", "update_available"), container("db", "up_to_date")], [setting], [run], [env]);
    expect(web).toMatchObject({
      environment: "local",
      tag: "1.2",
      repository: "127.0.0.1:5000/web",
      current: "1.2 · aaaaaaaaaaaa",
      available: "bbbbbbbbbbbb",
      updateKind: "digest",
      mode: "auto",
      scheduleSource: "setting",
      nextRun: "2026-12-07T02:30:00Z",
      lastOutcome: "updated",
      lastRunId: "r1",
      hasUpdate: true,
    });
    expect(web?.schedule).toBe("30 2 * * 1 (At 02:30, only on Monday)");
    expect(db).toMatchObject({ available: "", mode: "check only", schedule: "—", lastOutcome: "" });
  });

  it("prefers what the API says about the container itself", () => {
    const schedule = {
      cron_expression: "0 5 * * *", timezone: "UTC", source: "label" as const, mode: "notify" as const, cleanup: true,
      next_run_at: "2026-12-05T05:00:00Z", last_status: null, last_run_id: null,
    };
    const extras = { schedule, available_tag: "1.3", update_kind: "minor", window: "Sat 01:00-05:00" };
    const [row] = buildRows([container("web", "update_available", extras)], [], [], [env]);
    expect(row).toMatchObject({ schedule: "0 5 * * * (At 05:00)", scheduleSource: "label", mode: "notify", available: "1.3", updateKind: "minor", window: "Sat 01:00-05:00", nextRun: "2026-12-05T05:00:00Z" });
  });
});

describe("filterRows", () => {
  const rows = buildRows([container("web", "update_available"), container("db", "up_to_date"), container("cache", "error")], [], [], [env]);
  it("keeps updates only, a status, a search", () => {
    expect(filterRows(rows, { updatesOnly: true, environment: "", status: "", search: "" }).map((r) => r.name)).toEqual(["web"]);
    expect(filterRows(rows, { updatesOnly: false, environment: "", status: "error", search: "" }).map((r) => r.name)).toEqual(["cache"]);
    expect(filterRows(rows, { updatesOnly: false, environment: "local", status: "", search: "DB" }).map((r) => r.name)).toEqual(["db"]);
    expect(filterRows(rows, { updatesOnly: false, environment: "other", status: "", search: "" })).toEqual([]);
  });
});
