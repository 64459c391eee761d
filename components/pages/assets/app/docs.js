// The API reference: Swagger UI (vendored) on /v1/openapi.json, with no
// request anywhere else (the validator badge would call a third party).
/* global SwaggerUIBundle */
document.getElementById('docs-loading')?.remove();
window.ui = SwaggerUIBundle({
  url: '/v1/openapi.json',
  dom_id: '#swagger-ui',
  validatorUrl: null,
  deepLinking: true,
  tryItOutEnabled: false,
});
