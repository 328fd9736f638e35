// Small, pure formatting helpers shared by the pages.

/** `sha256:abcdef…` as its first 12 hex digits, or an em dash. */
export function shortDigest(digest: string | null | undefined): string {
  if (!digest) return "—";
  const hex = digest.includes(":") ? digest.split(":")[1] ?? digest : digest;
  return hex.slice(0, 12);
}

/** The tag of an image reference (`registry:5000/app:1.2@sha256:…` gives `1.2`). */
export function imageTag(image: string): string {
  const withoutDigest = image.split("@")[0] ?? image;
  const slash = withoutDigest.lastIndexOf("/");
  const colon = withoutDigest.lastIndexOf(":");
  return colon > slash ? withoutDigest.slice(colon + 1) : "latest";
}

/** The repository of an image reference, without tag or digest. */
export function imageRepository(image: string): string {
  const withoutDigest = image.split("@")[0] ?? image;
  const slash = withoutDigest.lastIndexOf("/");
  const colon = withoutDigest.lastIndexOf(":");
  return colon > slash ? withoutDigest.slice(0, colon) : withoutDigest;
}

/** A duration in milliseconds for people: `850 ms`, `4.2 s`, `3 min 5 s`. */
export function duration(ms: number | null | undefined): string {
  if (ms === null || ms === undefined || Number.isNaN(ms)) return "—";
  if (ms < 1000) return `${Math.round(ms)} ms`;
  const seconds = ms / 1000;
  if (seconds < 60) return `${seconds.toFixed(1)} s`;
  const minutes = Math.floor(seconds / 60);
  return `${minutes} min ${Math.round(seconds % 60)} s`;
}

/** Milliseconds between two ISO times (null when either is missing). */
export function between(start: string | null | undefined, end: string | null | undefined): number | null {
  if (!start || !end) return null;
  return Date.parse(end) - Date.parse(start);
}

/** An ISO time in the reader's locale, or an em dash. */
export function when(iso: string | null | undefined): string {
  if (!iso) return "—";
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? iso : date.toLocaleString();
}

/** `update_available` as `update available`. */
export function words(value: string | null | undefined): string {
  return value ? value.replaceAll("_", " ") : "—";
}

/** The severity a status shows with (PrimeVue Tag severities). */
export function statusSeverity(status: string | null | undefined): "success" | "info" | "warn" | "danger" | "secondary" {
  switch (status) {
    case "up_to_date":
    case "updated":
      return "success";
    case "update_available":
    case "would_update":
    case "running":
      return "info";
    case "deferred":
    case "skipped":
    case "blocked":
    case "rolled_back":
    case "no_platform":
      return "warn";
    case "error":
    case "failed":
      return "danger";
    default:
      return "secondary";
  }
}
