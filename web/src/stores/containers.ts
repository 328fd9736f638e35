// The containers of every environment, with their settings and latest runs, loaded together.
import { defineStore } from "pinia";
import { ref, shallowRef } from "vue";
import { ApiError } from "../api/client";
import { containers as containersApi, environments as environmentsApi, runs as runsApi, settings as settingsApi } from "../api/resources";
import type { Environment, Run, Setting } from "../api/types";
import { buildRows, type ContainerRow } from "../lib/rows";
import { useSession } from "./session";

async function orEmpty<T>(allowed: boolean, load: () => Promise<T[]>): Promise<T[]> {
  if (!allowed) return [];
  try {
    return await load();
  } catch (error) {
    if (error instanceof ApiError && error.status === 403) return [];
    throw error;
  }
}

export const useContainers = defineStore("containers", () => {
  const rows = shallowRef<ContainerRow[]>([]);
  const environments = ref<Environment[]>([]);
  const settings = ref<Setting[]>([]);
  const loading = ref(false);
  const loaded = ref(false);

  async function load(): Promise<void> {
    const session = useSession();
    loading.value = true;
    try {
      const [list, envs, found, recent] = await Promise.all([
        containersApi.list(),
        orEmpty<Environment>(session.can("environments:read"), environmentsApi.list),
        orEmpty<Setting>(session.can("schedules:read"), settingsApi.list),
        orEmpty<Run>(session.can("runs:read"), () => runsApi.list({ limit: 500 })),
      ]);
      environments.value = envs;
      settings.value = found;
      rows.value = buildRows(list, found, recent, envs);
      loaded.value = true;
    } finally {
      loading.value = false;
    }
  }

  function find(environmentId: number, name: string): ContainerRow | undefined {
    return rows.value.find((row) => row.environmentId === environmentId && row.name === name);
  }

  return { rows, environments, settings, loading, loaded, load, find };
});
