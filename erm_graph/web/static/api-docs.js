// Swagger UI for this server's OpenAPI, started from a file because the pages' CSP allows no
// inline script. No validator badge: it would call validator.swagger.io.
window.ui = SwaggerUIBundle({
  url: "/api/openapi.json",
  dom_id: "#swagger-ui",
  deepLinking: true,
  validatorUrl: null,
});
