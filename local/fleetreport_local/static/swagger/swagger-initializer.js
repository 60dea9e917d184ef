// Swagger UI for the local stack: the document of this origin, nothing fetched from elsewhere.
window.addEventListener("load", function () {
  window.ui = SwaggerUIBundle({
    url: "/openapi.json",
    dom_id: "#swagger-ui",
    deepLinking: true,
    validatorUrl: null, // the default badge would call validator.swagger.io
    persistAuthorization: true, // keep the pasted token across reloads (local development only)
    tryItOutEnabled: true,
    displayRequestDuration: true,
  });
});
