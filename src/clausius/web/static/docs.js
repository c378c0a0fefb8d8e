// Starts Swagger UI on /api/docs. A file, not an inline script, because the CSP allows only 'self' scripts.
const root = document.getElementById("swagger-ui");
const csrfToken = document.querySelector('meta[name="csrf-token"]')?.content ?? "";

window.SwaggerUIBundle({
  url: root.dataset.openapiUrl,
  domNode: root,
  deepLinking: true,
  validatorUrl: null, // never send our schema to a third-party validator
  // "Try it out" runs in this page, so its state-changing calls carry the CSRF token like the rest of the UI.
  requestInterceptor: (request) => {
    if (request.method && request.method.toUpperCase() !== "GET") request.headers["X-CSRF-Token"] = csrfToken;
    return request;
  },
});
