// Module player: quicker, not different. Without this script every button is a plain link
// or form. With it, steps change without reloading, answers are checked by the server in
// the background, and work done without a connection is queued and sent when it returns.
(function () {
  "use strict";
  const player = document.querySelector("[data-player]");
  if (!player) return;

  const QUEUE_KEY = "pasapas-queue";
  const statusBox = player.querySelector("[data-connection-status]");
  const steps = Array.from(player.querySelectorAll("[data-step]"));

  function newId() {
    if (window.crypto && crypto.randomUUID) return crypto.randomUUID();
    const bytes = crypto.getRandomValues(new Uint8Array(16));
    bytes[6] = (bytes[6] & 0x0f) | 0x40;
    bytes[8] = (bytes[8] & 0x3f) | 0x80;
    const hex = Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
    return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
  }

  // --- Queue: statements waiting to be sent, a batch at a time ------------------------
  // Each item is one step's statement: {module, step, statement_id, timestamp, fields}.
  // H5P statements are queued and sent together a moment later; answers that could not
  // be sent (no connection) wait here too. The server stores each id once, so sending
  // an item again after a lost answer adds nothing.
  const BATCH_LIMIT = 100; // the server's limit per request
  const statementsUrl = player.dataset.statementsUrl;
  let waiting = false; // something is queued because the connection failed

  function itemFrom(url, body, timestamp) {
    const match = new URL(url, window.location.href).pathname.match(/\/(\d+)\/etape\/(\d+)\/?$/);
    if (!match) return null;
    const item = { module: Number(match[1]), step: Number(match[2]), fields: {} };
    if (timestamp) item.timestamp = timestamp;
    body.forEach(([name, value]) => {
      if (name === "statement_id") item.statement_id = value;
      else if (name !== "csrfmiddlewaretoken") item.fields[name] = value;
    });
    return item;
  }
  function readQueue() {
    let queue;
    try { queue = JSON.parse(localStorage.getItem(QUEUE_KEY)) || []; } catch (e) { return []; }
    // Items queued by an earlier version of this script: {url, body, csrf}.
    return queue.map((item) => (item.url ? itemFrom(item.url, item.body) : item)).filter(Boolean);
  }
  function writeQueue(queue) { localStorage.setItem(QUEUE_KEY, JSON.stringify(queue)); }
  function enqueue(item) {
    if (!item) return;
    const queue = readQueue();
    queue.push(item);
    writeQueue(queue);
  }
  function say(text) {
    statusBox.textContent = text;
    statusBox.hidden = !text;
  }
  function csrfToken() {
    const field = player.querySelector("[name=csrfmiddlewaretoken]");
    return field ? field.value : "";
  }

  async function send(url, body, csrf) {
    const response = await fetch(url, {
      method: "POST",
      body: new URLSearchParams(body),
      headers: { Accept: "application/json", "X-CSRFToken": csrf },
      credentials: "same-origin",
    });
    if (response.status >= 500) throw new Error("server");
    return response.json();
  }

  let flushing = false;
  async function flush() {
    if (flushing || !statementsUrl || !navigator.onLine || !readQueue().length) return;
    flushing = true;
    let sent = 0;
    try {
      for (let queue = readQueue(); queue.length; queue = readQueue()) {
        const batch = queue.slice(0, BATCH_LIMIT);
        const response = await fetch(statementsUrl, {
          method: "POST",
          body: JSON.stringify(batch),
          headers: {
            Accept: "application/json",
            "Content-Type": "application/json",
            "X-CSRFToken": csrfToken(),
          },
          credentials: "same-origin",
        });
        const json = (response.headers.get("Content-Type") || "").includes("json");
        // 200: each statement has its answer (stored, already stored, or refused for good).
        // 400 or 413: the server cannot read this batch, and never will. Anything else
        // (signed out, busy, down): keep everything and try again later.
        if (!json || ![200, 400, 413].includes(response.status)) throw new Error("later");
        const done = new Set(batch.map((item) => item.statement_id));
        writeQueue(readQueue().filter((item) => !done.has(item.statement_id)));
        sent += batch.length;
      }
    } catch (error) {
      // Still offline or the server is busy: try again later.
    } finally {
      flushing = false;
    }
    if (sent && waiting && !readQueue().length) {
      waiting = false;
      say(player.dataset.sentMessage);
    }
  }
  let soon = null;
  function flushSoon() {
    // H5P sends several statements in a row (each answer, then the end): one request.
    window.clearTimeout(soon);
    soon = window.setTimeout(flush, 1000);
  }
  window.addEventListener("online", flush);
  window.addEventListener("offline", () => say(player.dataset.offlineMessage));
  setInterval(flush, 15000);
  if (readQueue().length) waiting = true;
  flush();

  // --- Time spent on each step ------------------------------------------------------------
  // Funders are told how long learners learn online: each statement carries the seconds
  // its step was on screen, with the page in front (visible, and focused: focus inside the
  // step's H5P frame counts) since the step's previous statement. A pause of more than
  // IDLE_MS without a tap, a key, a scroll or a move is not learning: none of it counts,
  // not even its first minutes. Time on a step after its last statement (reading the
  // feedback) is not sent: the figure is a floor. A statement queued offline keeps the
  // seconds measured when it was made; the server stores each statement id once, so a
  // retry never counts them twice.
  const IDLE_MS = 5 * 60 * 1000;
  const MAX_STEP_SECONDS = 3 * 60 * 60; // lms/learning/services.py MAX_STEP_SECONDS
  const stepTime = {
    spent: new Map(), // step number -> milliseconds counted and not sent yet
    step: null, // the step on screen
    since: null, // when the stretch being counted started; null while nothing counts
    lastUse: 0, // the learner's last tap, key, scroll or move
    focused: document.hasFocus(),
  };
  function clockNow() { return performance.now(); }
  function inFront() { return document.visibilityState === "visible" && stepTime.focused; }
  function stretchClose(at) {
    if (stepTime.since === null) return;
    const end = at - stepTime.lastUse > IDLE_MS ? stepTime.lastUse : at;
    const counted = stepTime.spent.get(stepTime.step) || 0;
    stepTime.spent.set(stepTime.step, counted + Math.max(0, end - stepTime.since));
    stepTime.since = null;
  }
  function stretchOpen(at) {
    if (stepTime.step === null || !inFront()) return;
    stepTime.since = at;
    stepTime.lastUse = at;
  }
  function stepTimeUpdate() {
    // The page came to the front or went away, or another step is shown.
    const at = clockNow();
    stretchClose(at);
    stretchOpen(at);
  }
  function stepTimeUse() {
    const at = clockNow();
    if (stepTime.since === null || at - stepTime.lastUse > IDLE_MS) {
      // Back after a long pause: the pause is left out, counting starts again now.
      stretchClose(at);
      stretchOpen(at);
    }
    stepTime.lastUse = at;
  }
  // The whole seconds spent on a step since its last statement; counting starts again.
  function stepSecondsTake(number) {
    if (number === stepTime.step) stepTimeUpdate();
    const spent = stepTime.spent.get(number) || 0;
    stepTime.spent.set(number, 0);
    return Math.min(MAX_STEP_SECONDS, Math.round(spent / 1000));
  }
  function stepTimeShow(number) {
    const at = clockNow();
    stretchClose(at);
    stepTime.step = number;
    stretchOpen(at);
  }
  document.addEventListener("visibilitychange", stepTimeUpdate);
  window.addEventListener("pagehide", () => { stretchClose(clockNow()); });
  window.addEventListener("pageshow", stepTimeUpdate);
  window.addEventListener("focus", () => { stepTime.focused = true; stepTimeUpdate(); });
  window.addEventListener("blur", () => {
    // Focus moving into the step's H5P frame blurs this window: the learner is still here.
    const active = document.activeElement;
    stepTime.focused = Boolean(active && active.matches("iframe[data-h5p-frame]"));
    stepTimeUpdate();
  });
  ["pointerdown", "pointermove", "keydown", "wheel", "scroll", "touchstart", "input"].forEach(
    (name) => document.addEventListener(name, stepTimeUse, { capture: true, passive: true }),
  );
  // What the learner does inside an H5P frame cannot be seen from here: h5p-host.js says.
  player.addEventListener("pasapas:h5p-use", stepTimeUse);

  // --- Moving between steps -----------------------------------------------------------
  function show(number, push) {
    const target = steps.find((step) => Number(step.dataset.step) === number);
    if (!target) return false;
    steps.forEach((step) => { step.hidden = step !== target; });
    stepTimeShow(number);
    // h5p-host.js loads an H5P activity's frame once its step is shown.
    target.dispatchEvent(new CustomEvent("pasapas:step-shown", { bubbles: true }));
    if (push) history.pushState({ step: number }, "", target.dataset.url);
    const title = target.querySelector(".step__title");
    if (title) { title.setAttribute("tabindex", "-1"); title.focus(); }
    window.scrollTo(0, 0);
    return true;
  }
  window.addEventListener("popstate", (event) => {
    if (event.state && event.state.step) show(event.state.step, false);
  });
  player.addEventListener("click", (event) => {
    const link = event.target.closest("a[data-go]");
    if (link && show(Number(link.dataset.go), true)) event.preventDefault();
  });
  const shown = steps.find((step) => !step.hidden);
  if (shown) stepTimeShow(Number(shown.dataset.step));
  // The offline worker (sw.js) keeps one page per module and shows it for any of its
  // steps' addresses: the step the address names is shown.
  const named = steps.find((step) => new URL(step.dataset.url, window.location.href).pathname === window.location.pathname);
  if (named && named.hidden) show(Number(named.dataset.step), false);
  // A page shown again by the offline worker carries the statement ids of its first visit:
  // new ones, so that an answer given now is never taken for one already sent.
  player.querySelectorAll("[name=statement_id]").forEach((field) => { field.value = newId(); });

  // --- Showing the server's verdict -----------------------------------------------------
  function showVerdict(step, form, data) {
    const kind = step.dataset.kind;
    if (kind === "quiz") {
      const chosen = form.querySelector("input[name=answer]:checked");
      step.querySelectorAll("[data-feedback-for]").forEach((p) => {
        p.hidden = !chosen || p.dataset.feedbackFor !== chosen.value;
      });
    } else {
      (data.items || []).forEach((right, index) => {
        const yes = step.querySelector(`[data-item-right="${index}"]`);
        const no = step.querySelector(`[data-item-wrong="${index}"]`);
        if (yes) yes.hidden = right !== true;
        if (no) no.hidden = right === true;
      });
      step.querySelectorAll("[data-verdict-success]").forEach((p) => { p.hidden = !data.success; });
    }
    if (data.success) { markDone(step); revealNext(step); }
  }
  // Progress dots: a step done fills its dot in every step's row at once, not at a reload.
  function markDone(step) {
    fillDot(step);
    rememberDone(step);
  }
  function fillDot(step) {
    const index = Number(step.dataset.step) - 1;
    player.querySelectorAll("[data-step] .dots").forEach((dots) => {
      if (dots.children[index]) dots.children[index].classList.add("is-done");
    });
  }
  function revealNext(step, focus = true) {
    const check = step.querySelector("[data-check]");
    const next = step.querySelector("[data-after-check]");
    if (check) check.hidden = true;
    if (next) { next.hidden = false; if (focus) next.focus(); }
  }

  // Steps done on this device, by module: a page the offline worker shows again has the
  // dots of the day it was kept, and the steps done since (sent, or still queued) would
  // look undone. Kept by the step's block id, which a new version of the module keeps.
  // Deleted at sign-out (Clear-Site-Data) and on the sign-in pages (offline.js "forget"),
  // so that the next person on the device sees nothing of it.
  const DONE_KEY = "pasapas-done";
  const moduleKey = String(player.dataset.moduleUrl || "").replace(/\D/g, "");
  function readDone() {
    try { return JSON.parse(localStorage.getItem(DONE_KEY)) || {}; } catch (e) { return {}; }
  }
  function rememberDone(step) {
    if (!moduleKey || !step.dataset.stepKey) return;
    const done = readDone();
    const keys = new Set(done[moduleKey] || []);
    if (keys.has(step.dataset.stepKey)) return;
    keys.add(step.dataset.stepKey);
    done[moduleKey] = Array.from(keys);
    try { localStorage.setItem(DONE_KEY, JSON.stringify(done)); } catch (e) { /* full: dots only */ }
  }
  // At load: the steps done here since the page was made fill their dots too. A graded step
  // done (here or by the server's dots) opens "Next" at once, as after a right answer: its
  // "Check" was already passed. Changing an answer brings "Check" back, to practise again.
  const doneHere = new Set(readDone()[moduleKey] || []);
  steps.forEach((step) => { if (doneHere.has(step.dataset.stepKey)) fillDot(step); });
  steps.forEach((step) => {
    // A step's own row shows its dot as "current": whether it is done is read in another's.
    const other = steps.find((one) => one !== step);
    const dot = other && other.querySelector(".dots").children[Number(step.dataset.step) - 1];
    if (doneHere.has(step.dataset.stepKey) || (dot && dot.classList.contains("is-done"))) {
      revealNext(step, false);
      const check = step.querySelector("[data-check]");
      const next = step.querySelector("[data-after-check]");
      if (check && next) {
        step.addEventListener("input", () => { check.hidden = false; next.hidden = true; }, { once: true });
      }
    }
  });

  // --- Without a connection: the server's verdict, worked out here -----------------------
  // The same rules as lms/learning/grading.py, from what the page carries (the right
  // answers, which the page shows after a check anyway), so that feedback still comes and
  // "Next" opens only after a right answer, as online. The server grades the queued
  // answer again when it arrives; what it stores is its own verdict.
  function fold(text) {
    return (text || "").normalize("NFKD").replace(/\p{M}/gu, "").toLowerCase().replace(/ß/g, "ss")
      .split(/\s+/).filter(Boolean).join(" ");
  }
  function pretendCode(field, digits) {
    const code = field ? field.value.trim() : "";
    return code.length === digits && /^[0-9]+$/.test(code);
  }
  function checked(form, name) {
    const input = form.querySelector(`input[name="${name}"]:checked`);
    return input ? input.value : "";
  }
  function allRight(items) { return { items, success: items.every((item) => item === true) }; }
  const LOCAL_GRADES = {
    quiz(step, form) {
      const chosen = checked(form, "answer");
      const feedback = chosen && step.querySelector(`[data-feedback-for="${chosen}"]`);
      return { success: Boolean(feedback && feedback.hasAttribute("data-right")) };
    },
    practice_form(step) {
      return allRight(Array.from(step.querySelectorAll("[data-field-index]"), (part) => {
        const input = part.querySelector("[name^='field-']");
        const text = input ? input.value.trim() : "";
        if (!text) return part.hasAttribute("data-required") ? null : true;
        return part.dataset.expected ? fold(text) === fold(part.dataset.expected) : true;
      }));
    },
    practice_inbox(step, form) {
      return allRight(Array.from(step.querySelectorAll("[data-scam]"), (message, index) => {
        const choice = checked(form, `message-${index}`);
        return choice ? (choice === "scam") === (message.dataset.scam === "true") : null;
      }));
    },
    practice_itsme(step, form) {
      const started = step.querySelector("[data-started]").dataset.started === "true";
      const decision = checked(form, "decision");
      const decisionRight = decision ? decision === (started ? "confirm" : "refuse") : null;
      const codeRight = started && decision === "confirm" ? pretendCode(form.elements.code, 5) : true;
      return { items: [decisionRight, codeRight], success: decisionRight === true && codeRight };
    },
    practice_eid(step, form) {
      const method = checked(form, "method");
      const card = form.querySelector("input[name=card]");
      return allRight([method ? method === "eid" : null, Boolean(card && card.checked), pretendCode(form.elements.code, 4)]);
    },
    practice_login(step, form) {
      const method = checked(form, "method");
      const right = method ? method === step.querySelector("[data-right-method]").dataset.rightMethod : null;
      return { items: [right], success: right === true };
    },
  };

  // A pretend code (itsme code, eID PIN) waiting in the queue is kept on the device: in
  // case a learner typed their real one, its digits are replaced by zeros. The server only
  // grades the code's shape (how many ASCII digits), so the verdict stays the same.
  function pretendCodesMasked(form, body) {
    const secret = new Set(
      Array.from(form.querySelectorAll("[data-pretend-secret]"), (field) => field.name),
    );
    return body.map(([name, value]) => [name, secret.has(name) ? value.replace(/[0-9]/g, "0") : value]);
  }

  player.addEventListener("submit", async (event) => {
    const form = event.target.closest("[data-step-form]");
    if (!form) return;
    event.preventDefault();
    if (!form.reportValidity()) return;
    const step = form.closest("[data-step]");
    const body = Array.from(new FormData(form).entries());
    body.push(["duration_seconds", String(stepSecondsTake(Number(step.dataset.step)))]);
    const csrf = form.querySelector("[name=csrfmiddlewaretoken]").value;
    const kind = step.dataset.kind;
    const graded = "graded" in step.dataset; // the step kind says so (courses/step_kinds.py)
    const idField = form.querySelector("[name=statement_id]");
    idField.value = newId(); // the next attempt at this step is a new statement
    let data = null;
    try {
      if (!navigator.onLine) throw new Error("offline");
      data = await send(form.action, body, csrf);
    } catch (error) {
      enqueue(itemFrom(form.action, pretendCodesMasked(form, body), new Date().toISOString()));
      waiting = true;
      const grade = LOCAL_GRADES[kind];
      if (graded && grade) {
        say(player.dataset.offlineMessage);
        showVerdict(step, form, grade(step, form));
        return;
      }
      say(graded ? player.dataset.retryMessage : player.dataset.offlineMessage);
      if (graded) { revealNext(step); return; }
      markDone(step);
      if (!show(Number(step.dataset.step) + 1, true)) say(player.dataset.offlineMessage);
      return;
    }
    if (!data.ok) { if (data.message) say(data.message); return; }
    if (graded) { showVerdict(step, form, data); return; }
    markDone(step);
    if (!show(Number(step.dataset.step) + 1, true)) window.location.href = data.next_url;
  });

  // --- H5P: the sandboxed frame's checked statement is recorded like any other step -----
  // Queued, then sent with the others in one request (see flushSoon).
  player.addEventListener("pasapas:h5p-statement", (event) => {
    const step = event.target.closest("[data-step]");
    const form = step && step.querySelector("[data-step-form]");
    if (!form) return;
    const detail = event.detail;
    const body = [
      ["statement_id", newId()],
      ["h5p_verb", detail.verb],
      ["h5p_raw", String(detail.score.raw)],
      ["h5p_min", String(detail.score.min)],
      ["h5p_max", String(detail.score.max)],
      ["h5p_scaled", String(detail.score.scaled)],
      ["h5p_success", String(detail.success)],
      ["h5p_completion", String(detail.completion)],
      ["duration_seconds", String(stepSecondsTake(Number(step.dataset.step)))],
    ];
    const result = step.querySelector("[data-h5p-result]");
    const text = step.querySelector("[data-h5p-result-text]");
    if (result && text) {
      text.textContent = text.dataset.template
        .replace("{raw}", detail.score.raw)
        .replace("{max}", detail.score.max);
      result.hidden = false;
    }
    if (detail.completion) markDone(step);
    enqueue(itemFrom(form.action, body, new Date().toISOString()));
    if (navigator.onLine) {
      flushSoon();
    } else {
      waiting = true;
      say(player.dataset.offlineMessage);
    }
  });
})();

// Text size: applied at once and remembered in a cookie the server also reads.
(function () {
  // A page the offline worker shows again has the size of the day it was kept: the size
  // chosen since on this device wins.
  const chosen = document.cookie.match(/(?:^|; )pasapas_text_size=(normal|large|larger)(?:;|$)/);
  if (chosen && chosen[1] !== document.documentElement.dataset.textSize) {
    document.documentElement.dataset.textSize = chosen[1];
    document.querySelectorAll("[data-text-size-form] button[name=size]").forEach((button) => {
      button.setAttribute("aria-pressed", String(button.value === chosen[1]));
    });
  }
  document.querySelectorAll("[data-text-size-form]").forEach((form) => {
    form.addEventListener("click", (event) => {
      const button = event.target.closest("button[name=size]");
      if (!button) return;
      event.preventDefault();
      document.documentElement.dataset.textSize = button.value;
      form.querySelectorAll("button[name=size]").forEach((other) => {
        other.setAttribute("aria-pressed", String(other === button));
      });
      document.cookie = `pasapas_text_size=${button.value}; max-age=63072000; path=/; samesite=lax`;
    });
  });
})();
