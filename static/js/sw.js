// Offline worker (served at /sw.js by lms/learning/offline.py, registered by offline.js on
// the learner's pages). Keeps the learner's current module, its pictures and the site's
// files, so that a reload without a connection still shows the module; any other page
// shows the offline page. Caches:
//   pasapas-shell: the site's static files and the offline page: the same for everyone;
//   pasapas-pages-KEY: the learner's module pages and their pictures. KEY comes with each
//     learner page (Pasapas-Offline-Key header) and changes at each sign-in: when another
//     key is seen, the other learners' caches are deleted before anything is kept.
// The learner's pages are deleted at sign-out ("forget" message from the sign-in pages);
// the sign-out's Clear-Site-Data header deletes everything, the worker included.
"use strict";
const SHELL = "pasapas-shell";
const PAGES = "pasapas-pages-";
const KEY_HEADER = "Pasapas-Offline-Key";
const OFFLINE_PAGE = "/hors-ligne/";
const MODULE_PAGE = /^\/apprendre\/(\d+)\/(etape\/\d+\/)?$/;
// The site's files and the pictures a page names (not its sounds and videos: too heavy).
const FILES = /(?:src|href)="(\/static\/[^"?#]+|\/media\/[^"?#]+\.(?:png|jpe?g|gif|webp|svg|avif)(?=["?#]))/g;
const HASHED = /\.[0-9a-f]{12}(\.[a-z0-9]+)$/; // ManifestStaticFilesStorage's names

self.addEventListener("install", () => self.skipWaiting());
self.addEventListener("activate", (event) => event.waitUntil(self.clients.claim()));

// The learner's pages go; the site's files and the offline page stay for the next person.
async function forget() {
  const names = await caches.keys();
  await Promise.all(names.filter((name) => name.startsWith(PAGES)).map((name) => caches.delete(name)));
}

// The cache of the learner whose page this is; the other learners' caches are deleted.
async function pagesCache(key) {
  const name = PAGES + key;
  const names = await caches.keys();
  await Promise.all(
    names.filter((other) => other.startsWith(PAGES) && other !== name).map((other) => caches.delete(other)),
  );
  return caches.open(name);
}

async function currentPages() {
  const name = (await caches.keys()).find((other) => other.startsWith(PAGES));
  return name ? caches.open(name) : null;
}

async function keepFile(cache, path) {
  if (await caches.match(path)) return;
  try {
    const response = await fetch(path, { credentials: "same-origin" });
    if (response.ok) await put(cache, path, response);
  } catch (error) {
    // Kept at the next visit.
  }
}

// A file kept under a hashed name replaces its older versions.
async function put(cache, path, response) {
  const bare = path.replace(HASHED, "$1");
  if (bare !== path) {
    const older = (await cache.keys()).filter((request) => {
      const other = new URL(request.url).pathname;
      return other !== path && other.replace(HASHED, "$1") === bare;
    });
    await Promise.all(older.map((request) => cache.delete(request)));
  }
  await cache.put(path, response);
}

// A module page the learner opened: one per module (the player holds all its steps), with
// the pictures and site files it names.
async function keepPage(url, response) {
  const key = response.headers.get(KEY_HEADER);
  if (!key) return;
  const cache = await pagesCache(key);
  const module = url.pathname.match(MODULE_PAGE)[1];
  const html = await response.clone().text();
  await cache.put(url.pathname, response);
  const older = (await cache.keys()).filter(
    (request) => moduleOf(request.url) === module && new URL(request.url).pathname !== url.pathname,
  );
  await Promise.all(older.map((request) => cache.delete(request)));
  const shell = await caches.open(SHELL);
  const files = new Set(Array.from(html.matchAll(FILES), (m) => m[1]));
  await Promise.all(Array.from(files, (path) => keepFile(path.startsWith("/static/") ? shell : cache, path)));
}

function moduleOf(address) {
  const match = new URL(address).pathname.match(MODULE_PAGE);
  return match && match[1];
}

// What a page fetched from the network changes in the caches.
async function pageSeen(url, response) {
  if (response.headers.has("Clear-Site-Data")) return forget(); // signed out
  if (!response.headers.has(KEY_HEADER)) return null;
  if (response.ok && !url.search && MODULE_PAGE.test(url.pathname)) return keepPage(url, response);
  return pagesCache(response.headers.get(KEY_HEADER)); // another learner's pages go now
}

async function page(event) {
  const request = event.request;
  let response;
  try {
    response = await fetch(request);
  } catch (error) {
    const module = moduleOf(request.url);
    const cache = await currentPages();
    if (module && cache) {
      const kept = (await cache.keys()).find((other) => moduleOf(other.url) === module);
      if (kept) return cache.match(kept);
    }
    return (await caches.match(OFFLINE_PAGE)) || Response.error();
  }
  event.waitUntil(pageSeen(new URL(request.url), response.clone()).catch(() => {}));
  return response;
}

async function file(event) {
  const request = event.request;
  const path = new URL(request.url).pathname;
  const hashed = HASHED.test(path);
  if (hashed || path.startsWith("/media/")) {
    const kept = await caches.match(request, { ignoreSearch: true });
    if (kept) return kept;
  }
  let response;
  try {
    response = await fetch(request);
  } catch (error) {
    return (await caches.match(request, { ignoreSearch: true })) || Response.error();
  }
  if (response.ok && path.startsWith("/static/")) {
    const copy = response.clone();
    event.waitUntil(caches.open(SHELL).then((cache) => put(cache, path, copy)).catch(() => {}));
  }
  return response;
}

self.addEventListener("fetch", (event) => {
  const request = event.request;
  const url = new URL(request.url);
  if (request.method !== "GET" || url.origin !== self.location.origin) return;
  if (request.mode === "navigate") event.respondWith(page(event));
  else if (url.pathname.startsWith("/static/") || (url.pathname.startsWith("/media/") && request.destination === "image")) {
    event.respondWith(file(event));
  }
});

// The offline page, in the learner's language (fetched again when it changes).
async function keepOfflinePage(language) {
  const kept = await caches.match(OFFLINE_PAGE);
  if (kept && kept.headers.get("Content-Language") === language) return;
  const response = await fetch(OFFLINE_PAGE, { credentials: "same-origin" });
  if (response.ok) await (await caches.open(SHELL)).put(OFFLINE_PAGE, response);
}

self.addEventListener("message", (event) => {
  const data = event.data || {};
  if (data.type === "forget") {
    event.waitUntil(forget());
  } else if (data.type === "visit") {
    // A learner page shown without this worker (the first visit): kept now.
    const keep = async () => {
      if (data.page && MODULE_PAGE.test(data.page)) {
        const response = await fetch(data.page, { credentials: "same-origin" });
        if (response.ok) await keepPage(new URL(data.page, self.location.origin), response);
      }
      await keepOfflinePage(data.language);
    };
    event.waitUntil(keep().catch(() => {}));
  }
});
