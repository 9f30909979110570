// H5P activities on a learner's page. Each <iframe data-h5p-frame data-src="…"> is loaded
// when it is shown, not before: a module page shows one step at a time, and a player costs
// a phone some 60 KB of script. Frames are loaded in turn (several players starting at once
// make a phone crawl), and what a sandboxed frame reports is checked before it becomes a
// "pasapas:h5p-statement" event on the iframe (or a "pasapas:h5p-use" event, when the
// learner taps or types in it).

const SCORED_VERBS = new Map([
  ["http://adlnet.gov/expapi/verbs/answered", "answered"],
  ["http://adlnet.gov/expapi/verbs/completed", "completed"],
]);
const MIN_HEIGHT = 120;
const MAX_HEIGHT = 8000;
// A frame that never fires "load" must not keep the next ones waiting for ever.
const LOAD_TIMEOUT_MS = 15000;

const isNumber = (value) => typeof value === "number" && Number.isFinite(value);
const optionalBoolean = (value) => (typeof value === "boolean" ? value : null);

// Returns the event detail for a well-formed scored statement, or null.
export function readStatement(statement) {
  if (!statement || typeof statement !== "object") return null;
  const verb = SCORED_VERBS.get(statement.verb && statement.verb.id);
  const result = statement.result;
  const score = result && typeof result === "object" ? result.score : null;
  if (!verb || !score || typeof score !== "object") return null;
  const { raw, max, scaled } = score;
  const min = score.min === undefined ? 0 : score.min;
  if (![raw, max, scaled, min].every(isNumber)) return null;
  // xAPI's bounds: min <= raw <= max, and scaled in [-1, 1].
  if (max <= min || raw < min || raw > max || scaled < -1 || scaled > 1) return null;
  return {
    verb,
    score: { raw, min, max, scaled },
    success: optionalBoolean(result.success),
    completion: optionalBoolean(result.completion),
    statement,
  };
}

// The sandbox the frame gets: its origin is kept only when it comes from another origin
// than this page (the player's own host, courses/h5p/origin.py); a frame of this site
// with allow-same-origin could reach into the page.
function sandboxOf(frame) {
  const crossOrigin = new URL(frame.dataset.src, window.location.href).origin !== window.location.origin;
  return crossOrigin && frame.getAttribute("sandbox") === "allow-scripts allow-same-origin"
    ? "allow-scripts allow-same-origin"
    : "allow-scripts";
}

// The origin a frame's messages come from: "null" (how browsers name an opaque origin) in
// the embedded default, the player's own host otherwise.
function expectedOrigin(frame) {
  return frame.getAttribute("sandbox").includes("allow-same-origin")
    ? new URL(frame.dataset.src, window.location.href).origin
    : "null";
}

const waiting = [];
let loading = false;

function loadNext() {
  const frame = waiting.shift();
  if (!frame) {
    loading = false;
    return;
  }
  loading = true;
  let done = false;
  const proceed = () => {
    if (!done) {
      done = true;
      loadNext();
    }
  };
  frame.addEventListener("load", proceed, { once: true });
  window.setTimeout(proceed, LOAD_TIMEOUT_MS);
  // Set again in case the attribute was changed: the frame never gets more than this.
  frame.setAttribute("sandbox", sandboxOf(frame));
  frame.src = frame.dataset.src;
}

// Without a connection a frame would show the browser's error page (no service worker
// controls its opaque origin): its note ([data-h5p-offline], right after it) says so instead,
// until the connection returns.
function offlineNote(frame, offline) {
  const note = frame.nextElementSibling;
  if (!note || !note.hasAttribute("data-h5p-offline")) return false;
  note.hidden = !offline;
  frame.hidden = offline;
  return offline;
}

// Loads the frames among `frames` that are on screen (not inside a hidden step).
function loadShown(frames) {
  frames
    .filter((frame) => !frame.hasAttribute("data-h5p-started") && !frame.parentElement.closest("[hidden]"))
    .filter((frame) => !offlineNote(frame, !navigator.onLine))
    .forEach((frame) => {
      frame.setAttribute("data-h5p-started", "");
      waiting.push(frame);
    });
  if (!loading) loadNext();
}

function start() {
  const frames = Array.from(document.querySelectorAll("iframe[data-h5p-frame]"));
  if (!frames.length) return;

  window.addEventListener("message", (event) => {
    // The source check is what ties the message to one of our iframes; the origin check
    // that it comes from the player and not from a page the frame was navigated to.
    const frame = frames.find((candidate) => candidate.contentWindow === event.source);
    if (!frame || event.origin !== expectedOrigin(frame)) return;
    const data = event.data;
    if (!data || typeof data !== "object") return;
    if (String(data.packageId) !== frame.dataset.h5pPackage) return;

    if (data.type === "pasapas:h5p") {
      const detail = readStatement(data.statement);
      if (!detail) return;
      frame.dispatchEvent(
        new CustomEvent("pasapas:h5p-statement", {
          detail: { packageId: Number(frame.dataset.h5pPackage), ...detail },
          bubbles: true,
        }),
      );
    } else if (data.type === "pasapas:h5p-use") {
      // The learner tapped or typed in the frame: player.js keeps counting their time.
      frame.dispatchEvent(new CustomEvent("pasapas:h5p-use", { bubbles: true }));
    } else if (data.type === "pasapas:h5p-resize" && isNumber(data.height)) {
      const height = Math.min(Math.max(Math.ceil(data.height), MIN_HEIGHT), MAX_HEIGHT);
      frame.style.height = `${height}px`;
    }
  });

  // The module player (player.js) says when it shows another step.
  document.addEventListener("pasapas:step-shown", () => loadShown(frames));
  window.addEventListener("online", () => loadShown(frames));
  loadShown(frames);
}

start();
