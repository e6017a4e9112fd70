import { Router } from '@koa/router';
import { apiOpenApiDocument } from '../openapi/api-openapi-document.ts';

/** GET /openapi.json: the OpenAPI 3.1 document, built once when the router is made. */
export function openApiRouter(): Router {
  const document = JSON.stringify(apiOpenApiDocument());
  const router = new Router();
  router.get('/openapi.json', (ctx) => {
    ctx.type = 'application/json';
    ctx.body = document;
  });
  return router;
}
