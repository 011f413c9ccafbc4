// Starts Swagger UI on /docs. Kept in a file, not inline in the page, so the page's Content-Security-Policy
// allows scripts from this origin only. The options are FastAPI's defaults, plus validatorUrl: null, which
// stops Swagger UI from sending the document to validator.swagger.io.
(function () {
  "use strict";
  var element = document.getElementById("swagger-ui");
  window.ui = window.SwaggerUIBundle({
    url: element.dataset.openapiUrl,
    dom_id: "#swagger-ui",
    layout: "BaseLayout",
    deepLinking: true,
    showExtensions: true,
    showCommonExtensions: true,
    validatorUrl: null,
    presets: [window.SwaggerUIBundle.presets.apis, window.SwaggerUIBundle.SwaggerUIStandalonePreset],
  });
})();
