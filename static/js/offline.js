// Offline: what each kind of page asks of the offline worker (static/js/sw.js), said by
// the script tag's data-offline:
//   "keep" (the learner's pages): register the worker; a page it did not serve is kept now;
//   "forget" (the sign-in pages): delete what the worker kept of the last person, and the
//     steps player.js noted as done on this device;
//   "list" (the offline page): list the modules kept on this device.
(function () {
  "use strict";
  const script = document.currentScript;
  if (script && script.dataset.offline === "forget") {
    try { localStorage.removeItem("pasapas-done"); } catch (e) { /* no storage: nothing kept */ }
  }
  if (!script || !("serviceWorker" in navigator) || !window.caches) return;
  const mode = script.dataset.offline;

  if (mode === "keep") {
    // Whether the worker served this page (and kept it): `controller` would also be set
    // when the worker took the page over after it came from the network.
    const navigation = performance.getEntriesByType("navigation")[0];
    const served = Boolean(navigation && navigation.workerStart > 0);
    navigator.serviceWorker
      .register(script.dataset.worker, { scope: "/" })
      .then(() => navigator.serviceWorker.ready)
      .then((registration) => {
        registration.active.postMessage({
          type: "visit",
          page: served ? null : window.location.pathname,
          language: document.documentElement.lang,
        });
      })
      .catch(() => {}); // no worker: the site works as before, online only
  } else if (mode === "forget") {
    navigator.serviceWorker.getRegistrations().then((registrations) => {
      registrations.forEach((registration) => {
        const worker = registration.active || registration.waiting || registration.installing;
        if (worker) worker.postMessage({ type: "forget" });
      });
    });
  } else if (mode === "list") {
    // The text size chosen on this device (the page was kept with the size of that day).
    const size = document.cookie.match(/(?:^|; )pasapas_text_size=(\w+)/);
    if (size) document.documentElement.dataset.textSize = size[1];
    const list = document.querySelector("[data-offline-modules]");
    caches.keys().then(async (names) => {
      const name = names.find((one) => one.startsWith("pasapas-pages-"));
      const cache = name && (await caches.open(name));
      const pages = cache ? await cache.keys() : [];
      for (const request of pages) {
        const html = await (await cache.match(request)).text();
        const title = new DOMParser().parseFromString(html, "text/html").querySelector(".player__module");
        if (!title) continue;
        const link = document.createElement("a");
        link.className = "button button--secondary button--block";
        link.href = new URL(request.url).pathname;
        link.textContent = title.textContent.trim();
        if (title.lang) link.lang = title.lang;
        const item = document.createElement("li");
        item.append(link);
        list.append(item);
      }
      document.querySelectorAll("[data-offline-some]").forEach((part) => { part.hidden = !list.children.length; });
      document.querySelectorAll("[data-offline-none]").forEach((part) => { part.hidden = Boolean(list.children.length); });
    });
  }
})();
