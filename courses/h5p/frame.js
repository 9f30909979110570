// Runs inside the sandboxed H5P frame (opaque origin, no cookies): starts the player, then
// tells the page around it only three things: top-level scored answers, the content height,
// and that the learner is using it (so that the page keeps counting their time).
(function () {
  "use strict";

  // The frame keeps nothing: H5P core reads and writes localStorage while starting
  // (offline queue, clipboard, anonymous actor id), which an opaque origin lacks (even
  // reading window.localStorage throws there) and which the player's own host must not hold
  // either (every package shares that origin). A memory-only stand-in keeps H5P working
  // and forgets everything when the frame closes.
  function memoryStorage() {
    var items = {};
    return {
      get length() {
        return Object.keys(items).length;
      },
      key: function (index) {
        var keys = Object.keys(items);
        return index < keys.length ? keys[index] : null;
      },
      getItem: function (key) {
        return Object.prototype.hasOwnProperty.call(items, key) ? items[key] : null;
      },
      setItem: function (key, value) {
        items[key] = String(value);
      },
      removeItem: function (key) {
        delete items[key];
      },
      clear: function () {
        items = {};
      },
    };
  }
  ["localStorage", "sessionStorage"].forEach(function (name) {
    Object.defineProperty(window, name, { value: memoryStorage(), configurable: true });
  });

  // The JSON files the player would otherwise fetch one after the other (h5p.json, the
  // libraries' library.json, a small content.json) come with this document
  // (courses/h5p/frame_files.py): the player's fetch of one of them is answered from here,
  // without a round trip. Any other request goes to the network as before.
  var carried = JSON.parse(document.getElementById("h5p-files").textContent);
  var carriedByUrl = {};
  Object.keys(carried).forEach(function (path) {
    carriedByUrl[new URL(path, window.location.href).href] = JSON.stringify(carried[path]);
  });
  var networkFetch = window.fetch;
  window.fetch = function (input, init) {
    var url = typeof input === "string" ? input : input && input.url;
    var key = url ? new URL(url, window.location.href).href : "";
    if (Object.prototype.hasOwnProperty.call(carriedByUrl, key)) {
      return Promise.resolve(
        new Response(carriedByUrl[key], { headers: { "Content-Type": "application/json" } }),
      );
    }
    return networkFetch.call(window, input, init);
  };

  var config = JSON.parse(document.getElementById("h5p-options").textContent);
  // Messages go to the site only. In the embedded default the frame's address is on the
  // site (its origin is opaque, its URL's is the site's) and only the site may embed it
  // (frame-ancestors 'self'); on the player's own host the view names the site.
  var parentOrigin = config.parentOrigin || window.location.origin;
  var SCORED_VERBS = {
    "http://adlnet.gov/expapi/verbs/answered": true,
    "http://adlnet.gov/expapi/verbs/completed": true,
  };

  function post(message) {
    if (window.parent !== window) {
      window.parent.postMessage(message, parentOrigin);
    }
  }

  function isTopLevel(statement) {
    // Questions inside a question set name the set as their parent; only the set's own
    // statement says how the learner did on the whole activity.
    var activities = statement.context && statement.context.contextActivities;
    var parent = activities && activities.parent;
    return !parent || (Array.isArray(parent) && parent.length === 0);
  }

  function onStatement(event) {
    var statement = event && event.data && event.data.statement;
    if (!statement || !statement.verb || !SCORED_VERBS[statement.verb.id]) return;
    if (!isTopLevel(statement)) return;
    post({
      type: "pasapas:h5p",
      packageId: config.packageId,
      // A plain JSON copy: H5P's objects may hold things postMessage cannot clone.
      statement: JSON.parse(JSON.stringify(statement)),
    });
  }

  // The page counts the time a learner spends on a step, leaving out long pauses; what
  // happens in this frame is out of its sight. A tap or a key here says "still here"
  // (one small message per tap or key: no need to thin them out).
  function reportUse() {
    post({ type: "pasapas:h5p-use", packageId: config.packageId });
  }
  ["pointerdown", "keydown"].forEach(function (name) {
    document.addEventListener(name, reportUse, { capture: true, passive: true });
  });

  var lastHeight = 0;
  function reportHeight() {
    var height = Math.ceil(document.body.getBoundingClientRect().height);
    if (height > 0 && height !== lastHeight) {
      lastHeight = height;
      post({ type: "pasapas:h5p-resize", packageId: config.packageId, height: height });
    }
  }

  function showError(error) {
    console.error("The H5P player could not start:", error);
    document.getElementById("h5p-error").hidden = false;
  }

  function watchHeight() {
    // Only once the player has drawn something: an empty frame would report a tiny height.
    reportHeight();
    if (window.ResizeObserver) {
      new ResizeObserver(reportHeight).observe(document.body);
    }
  }

  var container = document.getElementById("h5p-container");
  new H5PStandalone.H5P(container, config.player)
    .then(function () {
      H5P.externalDispatcher.on("xAPI", onStatement);
      watchHeight();
    })
    .catch(function (error) {
      showError(error);
      watchHeight();
    });
})();
