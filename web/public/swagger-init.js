// Swagger UI on this service's own OpenAPI document (a file, so no inline script is needed).
window.addEventListener("load", function () {
  window.ui = SwaggerUIBundle({ url: "/openapi.json", dom_id: "#swagger-ui", deepLinking: true });
});
