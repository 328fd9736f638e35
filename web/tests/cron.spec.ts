import { describe, expect, it } from "vitest";
import { describeCron, INVALID_CRON } from "../src/lib/cron";

describe("describeCron", () => {
  it("says a five-field cron in words", () => {
    expect(describeCron("0 3 * * *")).toBe("At 03:00");
    expect(describeCron("*/15 * * * 1-5")).toContain("Monday through Friday");
  });
  it("refuses what is not a five-field cron", () => {
    for (const text of ["", "0 3 * *", "0 0 3 * * *", "61 * * * *", "banana * * * *"]) {
      expect(describeCron(text)).toBe(INVALID_CRON);
    }
  });
});
