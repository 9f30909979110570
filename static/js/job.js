// Job page: asks the server every two seconds how far the job has got, until it ends.
// Without this script the page shows the state when it was loaded and a "Refresh" link.
(function () {
  "use strict";
  const box = document.querySelector("[data-job]");
  if (!box) return;
  const state = box.querySelector("[data-job-state]");
  const bar = box.querySelector("[data-job-bar]");
  const message = box.querySelector("[data-job-message]");
  const waiting = box.querySelector("[data-job-waiting]");
  const download = box.querySelector("[data-job-download]");

  function show(job) {
    // Counts of rows mean something to people; counts of internal steps do not.
    state.textContent = job.state_label + (job.total >= 10 ? " : " + job.done + " / " + job.total : "");
    bar.value = job.percent;
    bar.textContent = job.percent + " %";
    if (job.message) {
      message.textContent = job.message;
      message.hidden = false;
    }
    const finished = job.state === "done" || job.state === "failed";
    waiting.hidden = finished;
    if (job.download_url) {
      download.href = job.download_url;
      download.hidden = false;
    }
    return finished;
  }

  function ask() {
    fetch(box.dataset.job, { headers: { Accept: "application/json" }, credentials: "same-origin" })
      .then(function (response) { return response.json(); })
      .then(function (job) { if (!show(job)) window.setTimeout(ask, 2000); })
      .catch(function () { window.setTimeout(ask, 5000); });
  }
  if (waiting && !waiting.hidden) window.setTimeout(ask, 1000);
})();
