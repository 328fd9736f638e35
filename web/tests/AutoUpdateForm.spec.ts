import { afterEach, describe, expect, it, vi } from "vitest";
import { flushPromises, mount } from "@vue/test-utils";
import PrimeVue from "primevue/config";
import AutoUpdateForm from "../src/components/AutoUpdateForm.vue";
import type { Setting } from "../src/api/types";

const custom = { id: 3, environment_id: 1, container_name: "web", enabled: true, schedule_type: "custom", cron_expression: "0 3 * * *", timezone: "UTC", vulnerability_criteria: "high", policy: "digest" } as unknown as Setting;

function answer(body: unknown, status = 200): Response {
  return new Response(JSON.stringify(body), { status, headers: { "Content-Type": "application/json" } });
}

const mounted: { unmount(): void }[] = [];

function mountForm(setting: Setting | null, canSave = true) {
  const wrapper = mount(AutoUpdateForm, {
    props: { environmentId: 1, containers: ["db", "web"], container: "web", setting, canSave },
    global: { plugins: [PrimeVue] },
    attachTo: document.body,
  });
  mounted.push(wrapper);
  return wrapper;
}

afterEach(() => {
  for (const wrapper of mounted.splice(0)) wrapper.unmount();
  vi.restoreAllMocks();
  vi.useRealTimers();
  document.body.innerHTML = "";
});

describe("AutoUpdateForm", () => {
  it("describes the cron as it is typed, and says when it is invalid", async () => {
    vi.spyOn(globalThis, "fetch").mockResolvedValue(answer({ expression: "0 3 * * *", description: "", next_runs: [] }));
    const form = mountForm(custom);
    const input = form.get("[data-test=cron]");
    expect(form.get("[data-test=cron-description]").text()).toBe("At 03:00");
    await input.setValue("*/5 * * * 1");
    expect(form.get("[data-test=cron-description]").text()).toBe("Every 5 minutes, only on Monday");
    await input.setValue("0 3 * *");
    expect(form.get("[data-test=cron-description]").text()).toBe("Invalid cron expression");
    expect(form.get("[data-test=save]").attributes("disabled")).toBeDefined();
  });

  it("shows the next runs the API computes", async () => {
    vi.useFakeTimers();
    const fetch = vi.spyOn(globalThis, "fetch").mockResolvedValue(
      answer({ expression: "0 3 * * *", description: "At 03:00", next_runs: ["2026-12-05T03:00:00Z", "2026-12-06T03:00:00Z"] }),
    );
    const form = mountForm(custom);
    await vi.advanceTimersByTimeAsync(300);
    await flushPromises();
    expect(String(fetch.mock.calls[0]?.[0])).toBe("/api/cron/describe?expr=0+3+*+*+*&timezone=UTC");
    expect(form.findAll("[data-test=next-runs] li")).toHaveLength(2);
  });

  it("offers the five vulnerability criteria of the product, after the global default", async () => {
    vi.spyOn(globalThis, "fetch").mockResolvedValue(answer({ expression: "", description: "", next_runs: [] }));
    const form = mountForm(custom);
    await form.get("#au-criteria").trigger("click");
    await flushPromises();
    const labels = [...document.querySelectorAll("[role=option]")].map((o) => o.textContent?.trim());
    expect(labels).toEqual(["Colibri's default (COLIBRI_CRITERIA)", "Never scan", "Block if Critical", "Block if High+", "Block if Medium+", "Block if any vulnerability"]);
  });

  it("saves changes with PATCH and the CSRF header", async () => {
    const fetch = vi.spyOn(globalThis, "fetch").mockImplementation(async (input) =>
      String(input).startsWith("/api/auto-updates/3") ? answer({ ...custom, cron_expression: "15 1 * * *" }) : answer({ expression: "", description: "", next_runs: [] }),
    );
    const form = mountForm(custom);
    await form.get("[data-test=cron]").setValue("15 1 * * *");
    await form.get("form").trigger("submit");
    await flushPromises();
    const call = fetch.mock.calls.find(([url]) => String(url).startsWith("/api/auto-updates/3"));
    expect(call?.[1]?.method).toBe("PATCH");
    expect((call?.[1]?.headers as Record<string, string>)["X-Colibri-Request"]).toBe("1");
    expect(JSON.parse(String(call?.[1]?.body))).toMatchObject({ schedule_type: "custom", cron_expression: "15 1 * * *", vulnerability_criteria: "high" });
    expect(form.emitted("saved")?.[0]?.[0]).toMatchObject({ cron_expression: "15 1 * * *" });
  });

  it("keeps Save disabled for a token that may not change settings", () => {
    vi.spyOn(globalThis, "fetch").mockResolvedValue(answer({ expression: "", description: "", next_runs: [] }));
    const form = mountForm(null, false);
    expect(form.get("[data-test=save]").attributes("disabled")).toBeDefined();
    expect(form.text()).toContain("This token may not change settings.");
  });
});
