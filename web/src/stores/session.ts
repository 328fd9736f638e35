// Who is signed in and what their token may do: the UI shows only what they can use.
import { defineStore } from "pinia";
import { computed, ref } from "vue";
import { ApiError } from "../api/client";
import { session as sessionApi } from "../api/resources";
import type { Permission, Session } from "../api/types";

export const useSession = defineStore("session", () => {
  const current = ref<Session | null>(null);
  const checked = ref(false);

  const signedIn = computed(() => current.value !== null);

  function can(permission: Permission): boolean {
    const held = current.value?.permissions ?? [];
    return held.includes("admin") || held.includes(permission);
  }

  async function load(): Promise<void> {
    try {
      current.value = (await sessionApi.get()) ?? null;
    } catch (error) {
      if (!(error instanceof ApiError && error.status === 401)) throw error;
      current.value = null;
    } finally {
      checked.value = true;
    }
  }

  async function signIn(token: string): Promise<void> {
    current.value = await sessionApi.signIn(token.trim());
    checked.value = true;
  }

  async function signOut(): Promise<void> {
    try {
      await sessionApi.signOut();
    } finally {
      current.value = null;
    }
  }

  function ended(): void {
    current.value = null;
  }

  return { current, checked, signedIn, can, load, signIn, signOut, ended };
});
