import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { Router } from '@koa/router';
import type { Context } from 'koa';
import { JOB_EVENT_TYPES } from '@agent-runner/shared/job-events/catalogue.ts';

interface Asset {
  body: Buffer;
  type: string;
  etag: string;
}

/** The page may load only its own script and style and talk only to this origin (the API). */
const CONTENT_SECURITY_POLICY =
  "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

function load(name: string, type: string): Asset {
  const body = readFileSync(new URL(name, import.meta.url));
  return { body, type, etag: `"${createHash('sha256').update(body).digest('base64url').slice(0, 22)}"` };
}

/**
 * The dashboard: plain static files, no build step. GET / serves the page; its script and style are
 * at /dashboard/app.js and /dashboard/style.css. The page names them with `?v=<content hash>`, so
 * they can be cached for a year (a changed file gets a new URL) while the page itself is revalidated
 * on every load (ETag, 304). Files are read once, when the router is made.
 */
export function createDashboardRouter(): Router {
  const script = load('app.js', 'text/javascript; charset=utf-8');
  // Imported by app.js as ./auth.js (unversioned: revalidated by ETag on each load).
  const authScript = load('auth.js', 'text/javascript; charset=utf-8');
  const style = load('style.css', 'text/css; charset=utf-8');
  const version = (asset: Asset) => asset.etag.slice(1, 9);
  const html = readFileSync(new URL('index.html', import.meta.url), 'utf8')
    .replace('/dashboard/app.js', `/dashboard/app.js?v=${version(script)}`)
    .replace('/dashboard/style.css', `/dashboard/style.css?v=${version(style)}`)
    // The event types the page listens for, from the one catalogue the worker emits by.
    .replace('<meta name="job-event-types" content="">', `<meta name="job-event-types" content="${JOB_EVENT_TYPES.join(' ')}">`);
  const page: Asset = {
    body: Buffer.from(html),
    type: 'text/html; charset=utf-8',
    etag: `"${createHash('sha256').update(html).digest('base64url').slice(0, 22)}"`,
  };

  const router = new Router();
  router.get('/', (ctx) => send(ctx, page, 'no-cache'));
  router.get('/dashboard', (ctx) => ctx.redirect('/'));
  router.get('/dashboard/app.js', (ctx) => send(ctx, script, cacheFor(ctx, version(script))));
  router.get('/dashboard/auth.js', (ctx) => send(ctx, authScript, 'no-cache'));
  router.get('/dashboard/style.css', (ctx) => send(ctx, style, cacheFor(ctx, version(style))));
  return router;
}

/** A year, immutable, for the versioned URL the page uses; revalidate for any other. */
function cacheFor(ctx: Context, version: string): string {
  return ctx.query.v === version ? 'public, max-age=31536000, immutable' : 'no-cache';
}

function send(ctx: Context, asset: Asset, cacheControl: string): void {
  ctx.set('Cache-Control', cacheControl);
  ctx.set('ETag', asset.etag);
  ctx.set('X-Content-Type-Options', 'nosniff');
  if (asset.type.startsWith('text/html')) {
    ctx.set('Content-Security-Policy', CONTENT_SECURITY_POLICY);
    ctx.set('Referrer-Policy', 'no-referrer');
  }
  ctx.status = 200;
  // koa compares If-None-Match (lists, weak tags) with the ETag just set.
  if (ctx.fresh) {
    ctx.status = 304;
    return;
  }
  ctx.type = asset.type;
  ctx.body = asset.body;
}
