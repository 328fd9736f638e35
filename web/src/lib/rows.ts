// One row per container for the Containers page, joined from the API's lists: the last
// check, the container's auto-update setting and its latest run. Fields the API sends on
// the container itself win over what is derived here. Rows are plain values (markRaw): a
// thousand of them need no deep reactivity, and the table would otherwise traverse them all.
import { markRaw } from "vue";
import type { ContainerFromApi, EffectiveSchedule, Environment, Run, Setting } from "../api/types";
import { describeCron, SCHEDULE_CRONS } from "./cron";
import { imageRepository, imageTag, shortDigest } from "./format";

export interface ContainerRow {
  key: string;
  environmentId: number;
  environment: string;
  /** The environment's name, when this token may read environments. */
  environmentName: string | null;
  name: string;
  image: string;
  repository: string;
  tag: string;
  status: string;
  reason: string;
  current: string;
  available: string;
  updateKind: string;
  schedule: string;
  scheduleSource: string;
  mode: string;
  nextRun: string | null;
  window: string;
  skip: string;
  lastOutcome: string;
  lastRunId: string | null;
  checkedAt: string;
  setting: Setting | null;
  hasUpdate: boolean;
}

export function rowKey(environmentId: number, name: string): string {
  return `${environmentId}/${name}`;
}

function latestRuns(runs: Run[]): Map<string, Run> {
  const latest = new Map<string, Run>();
  for (const run of runs) {
    const key = `${run.environment}/${run.container}`;
    const seen = latest.get(key);
    if (!seen || seen.started_at < run.started_at) latest.set(key, run);
  }
  return latest;
}

/** The words for a setting's schedule: `daily (At 04:00)`, or the custom cron's. */
export function scheduleText(setting: Setting): string {
  const cron = setting.schedule_type === "custom" ? setting.cron_expression : SCHEDULE_CRONS[setting.schedule_type];
  const words = describeCron(cron);
  return setting.schedule_type === "custom" ? `${cron} (${words})` : `${setting.schedule_type} (${words})`;
}

/** The words for the schedule the service applies to a container (from a setting, its
 * label or the service's default). */
export function effectiveScheduleText(schedule: EffectiveSchedule): string {
  return `${schedule.cron_expression} (${describeCron(schedule.cron_expression)})`;
}

function windowText(container: ContainerFromApi): string {
  if (!container.window) return "";
  if (container.window_open !== false) return container.window;
  const opens = container.next_window_opening ? new Date(container.next_window_opening).toLocaleString() : "later";
  return `${container.window} (closed, opens ${opens})`;
}

function skipText(container: ContainerFromApi): string {
  if (container.skip_id === null || container.skip_id === undefined) return "";
  return container.skipped_until ? `until ${new Date(container.skipped_until).toLocaleString()}` : "this version";
}

export function buildRows(
  containers: ContainerFromApi[],
  settings: Setting[],
  runs: Run[],
  environments: Environment[],
): ContainerRow[] {
  const names = new Map(environments.map((env) => [env.id, env.name]));
  const byContainer = new Map(settings.map((s) => [rowKey(s.environment_id, s.container_name), s]));
  const latest = latestRuns(runs);
  return containers.map((container) => {
    const key = rowKey(container.environment_id, container.name);
    const environmentName = names.get(container.environment_id) ?? null;
    const environment = environmentName ?? `#${container.environment_id}`;
    const setting = byContainer.get(key) ?? null;
    const run = latest.get(`${environment}/${container.name}`);
    const hasUpdate = container.status === "update_available";
    const tag = imageTag(container.image);
    const effective = container.schedule ?? null;
    return markRaw({
      key,
      environmentId: container.environment_id,
      environment,
      environmentName,
      name: container.name,
      image: container.image,
      repository: imageRepository(container.image),
      tag,
      status: container.status,
      reason: container.reason,
      current: `${tag} · ${shortDigest(container.current_digest)}`,
      available: hasUpdate
        ? container.available_tag ?? shortDigest(container.remote_digest)
        : "",
      updateKind: container.update_kind ?? (hasUpdate ? (container.available_tag ? "version" : "digest") : ""),
      schedule: setting ? scheduleText(setting) : effective ? effectiveScheduleText(effective) : "—",
      scheduleSource: effective?.source ?? (setting ? "setting" : "none"),
      mode: effective ? (effective.mode === "notify" ? "notify" : "auto") : setting ? (setting.enabled ? "auto" : "off") : "check only",
      nextRun: effective?.next_run_at ?? (setting?.enabled ? setting.next_run_at : null),
      window: windowText(container),
      skip: container.skip ?? skipText(container),
      lastOutcome: run?.status ?? effective?.last_status ?? setting?.last_status ?? "",
      lastRunId: run?.id ?? effective?.last_run_id ?? setting?.last_run_id ?? null,
      checkedAt: container.checked_at,
      setting,
      hasUpdate,
    });
  });
}

export interface RowFilter {
  updatesOnly: boolean;
  environment: string;
  status: string;
  search: string;
}

export function filterRows(rows: ContainerRow[], filter: RowFilter): ContainerRow[] {
  const needle = filter.search.trim().toLowerCase();
  return rows.filter(
    (row) =>
      (!filter.updatesOnly || row.hasUpdate) &&
      (!filter.environment || row.environment === filter.environment) &&
      (!filter.status || row.status === filter.status) &&
      (!needle || row.name.toLowerCase().includes(needle) || row.image.toLowerCase().includes(needle)),
  );
}
