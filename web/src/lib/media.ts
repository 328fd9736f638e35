// Whether the viewport is narrow (phones): the Containers page shows cards there.
import { onBeforeUnmount, ref } from "vue";

export const NARROW = "(max-width: 640px)";

export function useNarrow() {
  const query = window.matchMedia(NARROW);
  const narrow = ref(query.matches);
  const update = (event: MediaQueryListEvent) => (narrow.value = event.matches);
  query.addEventListener("change", update);
  onBeforeUnmount(() => query.removeEventListener("change", update));
  return narrow;
}
