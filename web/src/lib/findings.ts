// What a run's gate step says about the scan: allowed or blocked, why, findings by severity.
import type { RunDetail } from "../api/types";

export interface Finding { id: string; severity: string; package: string }
export interface ScanSummary {
  allowed: boolean;
  reason: string;
  bySeverity: { severity: string; count: number }[];
  findings: Finding[];
}

const ORDER = ["critical", "high", "medium", "low", "unknown"];

function record(value: unknown): Record<string, unknown> {
  return value !== null && typeof value === "object" ? (value as Record<string, unknown>) : {};
}

/** The scan decision kept in the run's gate step (read with `?data=true`), or null. */
export function scanSummary(run: RunDetail): ScanSummary | null {
  const gate = run.steps.find((step) => step.step === "gate");
  if (!gate?.data) return null;
  const data = record(gate.data);
  const decision = record(record(data.details).decision);
  const counted = Array.isArray(decision.counted) ? decision.counted.map(record) : [];
  const findings = counted.map((item) => ({
    id: String(item.id ?? ""),
    severity: String(item.severity ?? "unknown").toLowerCase(),
    package: String(item.package ?? ""),
  }));
  const counts = new Map<string, number>();
  for (const finding of findings) counts.set(finding.severity, (counts.get(finding.severity) ?? 0) + 1);
  return {
    allowed: data.allowed !== false,
    reason: String(decision.summary ?? data.reason ?? ""),
    bySeverity: ORDER.filter((s) => counts.has(s)).map((severity) => ({ severity, count: counts.get(severity) ?? 0 })),
    findings,
  };
}
