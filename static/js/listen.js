// "Listen" on every learner screen (templates/components/listen.html). Voices, in order:
// (1) the editor's recording of this part, (2) the device's own voice when it has one for
// the language, (3) the server's voice (courses/voice_views.py). The button never does
// nothing: when no voice can play, it says so. Nothing is downloaded before a tap, not even
// the words of a screen that fetches them on tap.
(function () {
  "use strict";
  const buttons = Array.from(document.querySelectorAll("[data-listen]"));
  if (!buttons.length) return;
  const synth = "speechSynthesis" in window ? window.speechSynthesis : null;
  const START_TIMEOUT_MS = 2500; // a device voice that has not started by then is not working
  let audio = null; // one <audio> element for the page, made at the first tap
  let current = null; // the button whose voice is playing or loading

  // Device voices arrive late (Chrome lists none until "voiceschanged"): ask now, at no cost,
  // so that the answer is known by the time the learner taps.
  let voicesSettled = !synth;
  const voicesReady = new Promise((resolve) => {
    if (!synth) { resolve(); return; }
    const settle = () => { voicesSettled = true; resolve(); };
    if (synth.getVoices().length) { settle(); return; }
    synth.addEventListener("voiceschanged", settle, { once: true });
    window.setTimeout(settle, 1500);
  });
  function deviceVoice(language) {
    if (!synth) return null;
    return synth.getVoices().find((voice) => voice.lang.toLowerCase().replace("_", "-").split("-")[0] === language) || null;
  }

  function show(button, state, message) {
    const word = button.querySelector("[data-listen-word]");
    const status = button.parentElement.querySelector("[data-listen-status]");
    const labels = {
      idle: button.dataset.listenLabel,
      loading: button.dataset.listenLoadingLabel,
      playing: button.dataset.listenStopLabel,
    };
    word.textContent = labels[state];
    // The label says the state ("Stop" while playing): no aria-pressed, which would say
    // "Stop, pressed".
    button.classList.toggle("is-playing", state !== "idle");
    if (status) status.textContent = message || "";
  }
  function stop() {
    if (audio) { audio.pause(); audio.removeAttribute("src"); audio.load(); }
    if (synth) synth.cancel();
    if (current) show(current, "idle");
    current = null;
  }
  function fail(button, message) {
    if (current !== button) return;
    stop();
    show(button, "idle", message || button.dataset.listenError);
  }

  function playFile(button, url, onFailure) {
    if (!audio) {
      audio = document.createElement("audio");
      audio.preload = "none";
      audio.hidden = true;
      audio.dataset.listenAudio = "";
      document.body.appendChild(audio);
      audio.addEventListener("ended", () => { if (current) show(current, "idle"); current = null; });
    }
    audio.onerror = () => { if (current === button) onFailure(); };
    audio.src = url;
    audio.play().then(
      () => { if (current === button) show(button, "playing"); },
      (error) => {
        if (current !== button) return;
        // Blocked because the tap is too long ago (some phones): the file is ready, the
        // next tap plays it at once.
        if (error && error.name === "NotAllowedError") { fail(button, button.dataset.listenAgain); return; }
        onFailure();
      },
    );
  }

  function serverVoice(button) {
    const known = button.dataset.listenAudioUrl;
    if (known) { playFile(button, known, () => fail(button)); return; }
    show(button, "loading");
    const body = new URLSearchParams({
      text: button.dataset.listenText,
      language: button.dataset.listenLanguage,
      signature: button.dataset.listenSignature,
    });
    fetch(button.dataset.listenServer, { method: "POST", body, credentials: "same-origin" })
      .then((response) => response.json().then((data) => ({ ok: response.ok, data })))
      .then(({ ok, data }) => {
        if (current !== button) return;
        if (!ok || !data.url) { fail(button, data.error); return; }
        button.dataset.listenAudioUrl = data.url;
        playFile(button, data.url, () => fail(button));
      })
      .catch(() => fail(button));
  }

  function deviceOrServer(button) {
    const language = button.dataset.listenLanguage;
    const speak = () => {
      if (current !== button) return;
      const voice = deviceVoice(language);
      if (!voice) { serverVoice(button); return; }
      const utterance = new SpeechSynthesisUtterance(button.dataset.listenText);
      utterance.voice = voice;
      utterance.lang = voice.lang;
      utterance.rate = 0.9;
      let started = false;
      // A voice may be listed and still never speak: then the server's voice takes over.
      const timer = window.setTimeout(() => {
        if (!started && current === button) { synth.cancel(); serverVoice(button); }
      }, START_TIMEOUT_MS);
      utterance.onstart = () => { started = true; window.clearTimeout(timer); if (current === button) show(button, "playing"); };
      utterance.onend = () => { if (current === button) { show(button, "idle"); current = null; } };
      utterance.onerror = (event) => {
        window.clearTimeout(timer);
        if (current !== button || ["interrupted", "canceled"].includes(event.error)) return;
        if (started) fail(button); else serverVoice(button);
      };
      show(button, "loading");
      synth.speak(utterance);
    };
    if (voicesSettled) speak(); else { show(button, "loading"); voicesReady.then(speak); }
  }

  // A screen built at each visit (Mon parcours) has no words in its button: they are
  // fetched at the first tap (courses/voice_views.py screen_text) and kept for the next.
  function withWords(button, then) {
    if (button.dataset.listenText || !button.dataset.listenSource) { then(); return; }
    show(button, "loading");
    const url = button.dataset.listenSource + "?" + new URLSearchParams({ page: window.location.pathname });
    fetch(url, { credentials: "same-origin" })
      .then((response) => response.json().then((data) => ({ ok: response.ok, data })))
      .then(({ ok, data }) => {
        if (current !== button) return;
        if (!ok || !data.text) { fail(button, data.error); return; }
        button.dataset.listenText = data.text;
        button.dataset.listenLanguage = data.language;
        button.dataset.listenSignature = data.signature;
        then();
      })
      .catch(() => fail(button));
  }

  buttons.forEach((button) => {
    button.hidden = false;
    button.addEventListener("click", () => {
      if (current === button) { stop(); return; }
      stop();
      current = button;
      const recording = button.dataset.listenRecording;
      if (recording) playFile(button, recording, () => withWords(button, () => deviceOrServer(button)));
      else withWords(button, () => deviceOrServer(button));
    });
  });
  window.addEventListener("pagehide", stop);
})();
