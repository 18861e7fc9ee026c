// Swagger UI for this server's OpenAPI, started from a file because the pages' CSP allows no
// inline script. No validator badge: it would call validator.swagger.io. No deep links: they
// put a link inside each operation's summary button, which screen readers cannot reach (WCAG
// 4.1.2, axe's nested-interactive).
window.ui = SwaggerUIBundle({
  url: "/api/openapi.json",
  dom_id: "#swagger-ui",
  deepLinking: false,
  validatorUrl: null,
});
