// Starting an update (or a dry run) of one container from the UI.
//
// A container with an auto-update setting is updated through its setting's "run now" (the
// run then follows that setting's criteria and policy); one without, and every dry run, goes
// through `POST /api/containers/{environment}/{name}/update`, which an older API lacks (its
// generic 404/405 then says so in words).
import { ApiError } from "../api/client";
import { containers, settings } from "../api/resources";
import type { ContainerRow } from "./rows";

function routeMissing(error: unknown): boolean {
  return error instanceof ApiError && ((error.status === 404 && error.message === "Not Found") || error.status === 405);
}

export async function startUpdate(row: ContainerRow, dryRun = false): Promise<string> {
  if (row.setting && !dryRun) return (await settings.run(row.setting.id)).run_id;
  try {
    return (await containers.update(row.environment, row.name, dryRun)).run_id;
  } catch (error) {
    if (!routeMissing(error)) throw error;
  }
  if (dryRun) throw new ApiError(501, "This Colibri's API cannot dry-run a single container yet.");
  throw new ApiError(409, `${row.name} has no auto-update setting yet: save one on its page first.`);
}
