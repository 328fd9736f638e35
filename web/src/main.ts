import { createApp } from "vue";
import { createPinia } from "pinia";
import PrimeVue from "primevue/config";
import ToastService from "primevue/toastservice";
import ConfirmationService from "primevue/confirmationservice";
import Tooltip from "primevue/tooltip";
import App from "./App.vue";
import { colibriPreset } from "./theme";
import { router } from "./router";
import { initTheme } from "./lib/theme";
import "./style.css";

initTheme();
const app = createApp(App);
app.use(createPinia());
app.use(router);
app.use(PrimeVue, {
  theme: { preset: colibriPreset, options: { darkModeSelector: ".app-dark", cssLayer: false } },
});
app.use(ToastService);
app.use(ConfirmationService);
app.directive("tooltip", Tooltip);
app.mount("#app");
