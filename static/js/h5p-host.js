// H5P activities on a learner's page. Each <iframe data-h5p-frame data-src="…"> is loaded in
// turn (several players starting at once make a phone crawl), and what its sandboxed frame
// reports is checked before it becomes a "pasapas:h5p-statement" event on the iframe (or a
// "pasapas:h5p-use" event, when the learner taps or types in it).

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

function loadInTurn(frames) {
  let index = 0;
  const next = () => {
    if (index >= frames.length) return;
    const frame = frames[index];
    index += 1;
    let done = false;
    const proceed = () => {
      if (!done) {
        done = true;
        next();
      }
    };
    frame.addEventListener("load", proceed, { once: true });
    window.setTimeout(proceed, LOAD_TIMEOUT_MS);
    // The sandbox attribute is in the template already; set it again in case it was lost.
    frame.setAttribute("sandbox", "allow-scripts");
    frame.src = frame.dataset.src;
  };
  next();
}

function start() {
  const frames = Array.from(
    document.querySelectorAll("iframe[data-h5p-frame]:not([data-h5p-started])"),
  );
  if (!frames.length) return;
  frames.forEach((frame) => frame.setAttribute("data-h5p-started", ""));

  window.addEventListener("message", (event) => {
    // Sandboxed frames have an opaque origin, which browsers report as the string "null";
    // the source check is what ties the message to one of our iframes.
    const frame = frames.find((candidate) => candidate.contentWindow === event.source);
    if (!frame || event.origin !== "null") return;
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

  loadInTurn(frames);
}

start();
