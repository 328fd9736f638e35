// Cron expressions in words, as the user types (cronstrue), and the schedules' own crons.
import cronstrue from "cronstrue";
import type { ScheduleType } from "../api/types";

export const INVALID_CRON = "Invalid cron expression";

/** The cron each schedule type stands for (custom: the user's own). */
export const SCHEDULE_CRONS: Record<Exclude<ScheduleType, "custom">, string> = {
  daily: "0 4 * * *",
  weekly: "0 4 * * 1",
};

/** A five-field cron in plain words, or "Invalid cron expression". */
export function describeCron(expression: string): string {
  const text = expression.trim();
  if (text.split(/\s+/).length !== 5) return INVALID_CRON;
  try {
    return cronstrue.toString(text, { use24HourTimeFormat: true, throwExceptionOnParseError: true });
  } catch {
    return INVALID_CRON;
  }
}
