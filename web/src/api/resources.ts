// The API's routes the UI uses, typed by the generated schema.
import { ApiError, api } from "./client";
import type {
  BatchStarted,
  CheckSummary,
  ContainerFromApi,
  CronDescription,
  Delivery,
  Environment,
  EnvironmentCreate,
  Permission,
  Run,
  RunDetail,
  Session,
  Setting,
  SettingCreate,
  SettingUpdate,
  Target,
  TargetCreate,
  Token,
  TokenIssued,
} from "./types";

export const session = {
  /** Who is signed in; undefined (204) when nobody is. */
  get: () => api<Session | undefined>("/api/session"),
  signIn: (token: string) => api<Session>("/api/session", { method: "POST", body: { token } }),
  signOut: () => api<void>("/api/session", { method: "DELETE" }),
};

export const containers = {
  list: () => api<ContainerFromApi[]>("/api/containers"),
  check: (environmentId?: number) =>
    api<CheckSummary>("/api/check", { method: "POST", query: { environment_id: environmentId } }),
  /** Update (or dry-run) one container directly: the run the API started for it. */
  update: async (environment: string, name: string, dryRun: boolean): Promise<{ run_id: string }> => {
    const started = await api<BatchStarted>(
      `/api/containers/${encodeURIComponent(environment)}/${encodeURIComponent(name)}/update`,
      { method: "POST", body: { dry_run: dryRun } },
    );
    const runId = started.runs[`${environment}/${name}`] ?? Object.values(started.runs)[0];
    if (!runId) throw new ApiError(409, `No run was started for ${name}.`);
    return { run_id: runId };
  },
};

export const settings = {
  list: () => api<Setting[]>("/api/auto-updates", { query: { limit: 500 } }),
  create: (body: SettingCreate) => api<Setting>("/api/auto-updates", { method: "POST", body }),
  update: (id: number, body: SettingUpdate) =>
    api<Setting>(`/api/auto-updates/${id}`, { method: "PATCH", body }),
  run: (id: number) => api<{ run_id: string }>(`/api/auto-updates/${id}/run`, { method: "POST" }),
};

export const cron = {
  describe: (expr: string, timezone: string, signal?: AbortSignal) =>
    api<CronDescription>("/api/cron/describe", { query: { expr, timezone }, ...(signal ? { signal } : {}) }),
};

export interface RunFilter {
  container?: string;
  environment?: string;
  limit?: number;
  offset?: number;
}

export const runs = {
  list: (filter: RunFilter = {}) => api<Run[]>("/api/runs", { query: { ...filter } }),
  get: (id: string, data = false) => api<RunDetail>(`/api/runs/${id}`, { query: { data: data || undefined } }),
};

export const environments = {
  list: () => api<Environment[]>("/api/environments"),
  create: (body: EnvironmentCreate) => api<Environment>("/api/environments", { method: "POST", body }),
  update: (id: number, body: EnvironmentCreate) =>
    api<Environment>(`/api/environments/${id}`, { method: "PUT", body }),
  remove: (id: number) => api<void>(`/api/environments/${id}`, { method: "DELETE" }),
};

export const targets = {
  list: () => api<Target[]>("/api/notifications"),
  create: (body: TargetCreate) => api<Target>("/api/notifications", { method: "POST", body }),
  remove: (id: number) => api<void>(`/api/notifications/${id}`, { method: "DELETE" }),
  test: (id: number) => api<Delivery>(`/api/notifications/${id}/test`, { method: "POST" }),
};

export const tokens = {
  list: () => api<Token[]>("/api/tokens"),
  create: (name: string, permissions: Permission[]) =>
    api<TokenIssued>("/api/tokens", { method: "POST", body: { name, permissions } }),
  revoke: (id: number) => api<Token>(`/api/tokens/${id}`, { method: "DELETE" }),
};

// The routes above, checked against the API's document: one it no longer has fails the build.
import type { paths } from "./schema";
export const ROUTES_USED = [
  "/api/session",
  "/api/containers",
  "/api/check",
  "/api/auto-updates",
  "/api/auto-updates/{setting_id}",
  "/api/auto-updates/{setting_id}/run",
  "/api/cron/describe",
  "/api/runs",
  "/api/runs/{run_id}",
  "/api/runs/{run_id}/events",
  "/api/environments",
  "/api/environments/{environment_id}",
  "/api/notifications",
  "/api/notifications/{target_id}",
  "/api/notifications/{target_id}/test",
  "/api/tokens",
  "/api/tokens/{token_id}",
] as const satisfies readonly (keyof paths)[];
