// The card job's page: asks for the job's state every second and moves the bar; shows the download when done.
(function () {
  const section = document.getElementById("card-job");
  if (!section) return;
  const bar = document.getElementById("job-progress");
  const count = document.getElementById("job-count");
  const download = document.getElementById("job-download");
  const stateText = document.getElementById("job-state");
  async function poll() {
    try {
      const response = await fetch(section.dataset.statusUrl, {headers: {"Accept": "application/json"}});
      if (!response.ok) throw new Error(String(response.status));
      const state = await response.json();
      bar.max = state.total || 1;
      bar.value = state.done;
      count.textContent = state.done + " / " + state.total;
      section.dataset.status = state.status;
      if (state.download) {
        download.querySelector("a").href = state.download;
        download.hidden = false;
      }
      if (state.status === "done" || state.status === "failed") {
        if (state.status === "failed" || !state.download) window.location.reload();
        return;
      }
    } catch (error) {
      // A lost connection: try again on the next tick.
    }
    setTimeout(poll, 1000);
  }
  if (section.dataset.status === "queued" || section.dataset.status === "running") setTimeout(poll, 1000);
})();
