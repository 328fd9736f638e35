import { createRouter, createWebHistory, type RouteRecordRaw } from "vue-router";
import { useSession } from "./stores/session";
// The first page people see is in the entry chunk: one round trip fewer before it is usable.
import ContainersView from "./views/ContainersView.vue";

const routes: RouteRecordRaw[] = [
  { path: "/", redirect: "/containers" },
  { path: "/signin", name: "signin", component: () => import("./views/SignInView.vue"), meta: { open: true, title: "Sign in" } },
  { path: "/containers", name: "containers", component: ContainersView, meta: { title: "Containers" } },
  {
    path: "/containers/:environmentId(\\d+)/:name",
    name: "container",
    component: () => import("./views/ContainerView.vue"),
    props: (route) => ({ environmentId: Number(route.params.environmentId), name: String(route.params.name) }),
    meta: { title: "Container" },
  },
  { path: "/runs/:id", name: "run", component: () => import("./views/RunView.vue"), props: true, meta: { title: "Run" } },
  { path: "/history", name: "history", component: () => import("./views/HistoryView.vue"), meta: { title: "History" } },
  { path: "/environments", name: "environments", component: () => import("./views/EnvironmentsView.vue"), meta: { title: "Environments" } },
  { path: "/notifications", name: "notifications", component: () => import("./views/NotificationsView.vue"), meta: { title: "Notifications" } },
  { path: "/tokens", name: "tokens", component: () => import("./views/TokensView.vue"), meta: { title: "Tokens" } },
  { path: "/:missing(.*)*", name: "missing", component: () => import("./views/MissingView.vue"), meta: { title: "Not found" } },
];

export const router = createRouter({ history: createWebHistory(), routes });

router.beforeEach(async (to) => {
  const session = useSession();
  if (!session.checked) await session.load().catch(() => undefined);
  if (!to.meta.open && !session.signedIn) return { name: "signin", query: { next: to.fullPath } };
  if (to.name === "signin" && session.signedIn) return { path: "/containers" };
  return true;
});

router.afterEach((to) => {
  document.title = `${String(to.meta.title ?? "Colibri")} · Colibri`;
});
