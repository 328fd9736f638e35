// Dark or light: the system's choice until the user picks one (kept in localStorage).
import { ref } from "vue";

export type Theme = "light" | "dark";
const KEY = "colibri.theme";
const DARK_CLASS = "app-dark";

function systemTheme(): Theme {
  return window.matchMedia?.("(prefers-color-scheme: dark)").matches ? "dark" : "light";
}

function storedTheme(): Theme | null {
  const value = window.localStorage.getItem(KEY);
  return value === "dark" || value === "light" ? value : null;
}

export const theme = ref<Theme>("light");

function apply(value: Theme): void {
  theme.value = value;
  document.documentElement.classList.toggle(DARK_CLASS, value === "dark");
}

/** Apply the stored or system theme, and follow the system while nothing is stored. */
export function initTheme(): void {
  apply(storedTheme() ?? systemTheme());
  window.matchMedia?.("(prefers-color-scheme: dark)").addEventListener?.("change", () => {
    if (storedTheme() === null) apply(systemTheme());
  });
}

export function toggleTheme(): void {
  const next: Theme = theme.value === "dark" ? "light" : "dark";
  window.localStorage.setItem(KEY, next);
  apply(next);
}
