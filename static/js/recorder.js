// Recording a step in the Wagtail admin (templates/courses/admin/step_recordings.html):
// the browser's microphone through MediaRecorder, at a speech bitrate, put into the step's
// file field so that "Save the recording" sends it like a chosen file. Without a microphone
// or MediaRecorder the button stays hidden and the file field still works.
(function () {
  "use strict";
  if (!("MediaRecorder" in window) || !navigator.mediaDevices || !window.DataTransfer) return;
  // Opus where the browser records it (Chromium, Firefox), else AAC in MP4 (Safari).
  const TYPES = ["audio/webm;codecs=opus", "audio/ogg;codecs=opus", "audio/mp4"];
  const mimeType = TYPES.find((type) => MediaRecorder.isTypeSupported(type)) || "";
  const EXTENSIONS = { "audio/webm": "webm", "audio/ogg": "ogg", "audio/mp4": "m4a" };
  let active = null; // { recorder, stream, button } while one step is being recorded

  document.querySelectorAll("[data-recorder]").forEach((bar) => {
    const form = bar.closest("form");
    const button = bar.querySelector("[data-record]");
    const status = bar.querySelector("[data-record-status]");
    const preview = form.querySelector("[data-record-preview]");
    const input = form.querySelector("input[type=file]");
    bar.hidden = false;

    function finish(chunks, type) {
      const blob = new Blob(chunks, { type });
      const extension = EXTENSIONS[type.split(";")[0]] || "webm";
      const file = new File([blob], "recording." + extension, { type: blob.type });
      const files = new DataTransfer();
      files.items.add(file);
      input.files = files.files;
      preview.src = URL.createObjectURL(blob);
      preview.hidden = false;
      status.textContent = bar.dataset.doneMessage;
    }

    button.addEventListener("click", () => {
      if (active && active.button === button) {
        active.recorder.stop();
        return;
      }
      if (active) active.recorder.stop();
      navigator.mediaDevices.getUserMedia({ audio: true }).then((stream) => {
        const options = { audioBitsPerSecond: 32000 };
        if (mimeType) options.mimeType = mimeType;
        const recorder = new MediaRecorder(stream, options);
        const chunks = [];
        recorder.addEventListener("dataavailable", (event) => { if (event.data.size) chunks.push(event.data); });
        recorder.addEventListener("stop", () => {
          stream.getTracks().forEach((track) => track.stop());
          button.textContent = bar.dataset.recordLabel;
          active = null;
          finish(chunks, recorder.mimeType || mimeType || "audio/webm");
        });
        recorder.start();
        active = { recorder, stream, button };
        button.textContent = bar.dataset.stopLabel;
        status.textContent = bar.dataset.recordingMessage;
      }, (error) => {
        status.textContent = error && error.name === "NotAllowedError" ? bar.dataset.deniedMessage : bar.dataset.failedMessage;
      });
    });
  });
})();
