// The one way the UI talks to the API: same origin, the session cookie, JSON in and out.
// Every request that may change something carries the header the API asks of cookie-signed
// requests (CSRF protection: another site's page cannot set it).
import type { FieldErrors } from "./types";

export const CSRF_HEADER = "X-Colibri-Request";

export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly fields: Record<string, string> = {},
  ) {
    super(message);
  }
}

type Listener = () => void;
const signedOutListeners: Listener[] = [];

/** Called when the API answers 401: the session has ended. */
export function onSignedOut(listener: Listener): void {
  signedOutListeners.push(listener);
}

export interface RequestOptions {
  method?: "GET" | "POST" | "PUT" | "PATCH" | "DELETE";
  body?: unknown;
  query?: Record<string, string | number | boolean | undefined | null>;
  signal?: AbortSignal;
}

export function url(path: string, query?: RequestOptions["query"]): string {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query ?? {})) {
    if (value !== undefined && value !== null && value !== "") params.set(key, String(value));
  }
  const text = params.toString();
  return text ? `${path}?${text}` : path;
}

export async function api<T>(path: string, options: RequestOptions = {}): Promise<T> {
  const method = options.method ?? "GET";
  const headers: Record<string, string> = { Accept: "application/json" };
  if (method !== "GET") headers[CSRF_HEADER] = "1";
  if (options.body !== undefined) headers["Content-Type"] = "application/json";
  const init: RequestInit = { method, headers, credentials: "same-origin" };
  if (options.body !== undefined) init.body = JSON.stringify(options.body);
  if (options.signal) init.signal = options.signal;
  const response = await fetch(url(path, options.query), init);
  if (response.status === 401 && path !== "/api/session") {
    for (const listener of signedOutListeners) listener();
  }
  if (!response.ok) throw await toError(response);
  if (response.status === 204) return undefined as T;
  return (await response.json()) as T;
}

async function toError(response: Response): Promise<ApiError> {
  let detail: unknown;
  try {
    detail = ((await response.json()) as { detail?: unknown }).detail;
  } catch {
    detail = response.statusText;
  }
  if (Array.isArray(detail)) {
    const items = detail as FieldErrors["detail"];
    const fields: Record<string, string> = {};
    for (const item of items) fields[String(item.loc[item.loc.length - 1])] = item.msg;
    const text = items.map((item) => `${item.loc.slice(1).join(".")}: ${item.msg}`).join("; ");
    return new ApiError(response.status, text, fields);
  }
  return new ApiError(response.status, typeof detail === "string" ? detail : `HTTP ${response.status}`);
}

/** The message to show for a failed request. */
export function errorText(error: unknown): string {
  if (error instanceof ApiError) return error.message;
  if (error instanceof Error) return error.message;
  return String(error);
}
