/* The duplicates page: a merge or undo button calls the JSON API, then the page reloads. */
"use strict";
(() => {
  const result = document.getElementById("merge-result");

  async function send(path, body, question) {
    if (!window.confirm(question)) return;
    try {
      const done = await erm.api(path, {method: "POST", headers: {"content-type": "application/json"},
                                        body: JSON.stringify(body || {})});
      result.textContent = JSON.stringify(done);
      // what the counts do not say (an owner not moved): read before the page reloads
      if (done.notes && done.notes.length) window.alert(done.notes.join("\n"));
      window.location.reload();
    } catch (error) {
      erm.showError(error.message);
    }
  }

  document.querySelectorAll("button.merge").forEach((button) => button.addEventListener("click", () => {
    const {keep, drop} = button.dataset;
    send("/api/merges", {keep, drop: [drop]},
         `Merge ${drop} into ${keep}? Its relationships move to ${keep}; it can be undone.`);
  }));
  document.querySelectorAll("button.undo").forEach((button) => button.addEventListener("click", () => {
    const id = button.dataset.id;
    send(`/api/merges/${encodeURIComponent(id)}/undo`, null, `Undo ${id}?`);
  }));
})();
