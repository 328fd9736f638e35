// Builds the UI into the Python package (colibri/web_dist), with Swagger UI's files under
// docs/ so that /docs needs nothing from the internet.
import { copyFileSync, mkdirSync, renameSync } from "node:fs";
import { resolve } from "node:path";
import vue from "@vitejs/plugin-vue";
import type { Plugin } from "vite";
import { defineConfig } from "vitest/config";

const outDir = resolve(__dirname, "../colibri/web_dist");

function swaggerDocs(): Plugin {
  return {
    name: "colibri-swagger-docs",
    apply: "build",
    closeBundle() {
      const from = resolve(__dirname, "node_modules/swagger-ui-dist");
      const docs = resolve(outDir, "docs");
      mkdirSync(docs, { recursive: true });
      for (const name of ["swagger-ui-bundle.js", "swagger-ui.css"]) {
        copyFileSync(resolve(from, name), resolve(docs, name));
      }
      renameSync(resolve(outDir, "swagger-init.js"), resolve(docs, "swagger-init.js"));
    },
  };
}

export default defineConfig({
  plugins: [vue(), swaggerDocs()],
  build: {
    outDir,
    emptyOutDir: true,
    target: "es2022",
    chunkSizeWarningLimit: 600,
    manifest: true,
  },
  server: {
    proxy: { "/api": "http://127.0.0.1:8080", "/openapi.json": "http://127.0.0.1:8080" },
  },
  test: {
    environment: "happy-dom",
    include: ["tests/**/*.spec.ts"],
  },
});
