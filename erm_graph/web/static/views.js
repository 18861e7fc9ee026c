/* Saved views: the "Save view" button of the explorer, map and queries pages (it saves the
   page's URL, which holds the whole view, under a name with a note), and the delete buttons of
   the "Saved views" page. */
"use strict";
(() => {
  const {el, api, showError} = erm;
  const button = document.getElementById("save-view");
  if (button) {
    const name = el("input", {name: "name", required: "", maxlength: "120", autocomplete: "off"});
    const note = el("textarea", {name: "note", rows: "3", maxlength: "2000"});
    const shared = el("select", {name: "shared"},
      el("option", {value: "team"}, "my team (everyone with my role)"), el("option", {value: "private"}, "only me"));
    const done = el("p", {class: "saved", role: "status"});
    const form = el("form", {method: "dialog"},
      el("h2", {}, "Save this view"),
      el("label", {}, "Name ", name), el("label", {}, "Note ", note), el("label", {}, "Shared with ", shared),
      el("p", {class: "muted small"}, "Saved: what this page shows now (its address), not a copy of the data."),
      done,
      el("p", {}, el("button", {type: "submit", class: "save"}, "Save"), " ",
        el("button", {type: "button", class: "cancel", onclick: () => dialog.close()}, "Close")));
    const dialog = el("dialog", {id: "save-view-dialog", "aria-label": "Save this view"}, form);
    document.body.append(dialog);
    button.addEventListener("click", () => {
      done.replaceChildren();
      // named after what the page shows: the record in the detail panel, else the heading
      const shown = document.querySelector("#detail h2, main h1");
      if (!name.value) name.value = (shown && shown.textContent.trim()) || document.title.replace(/ · erm-graph$/, "");
      dialog.showModal();
      name.focus();
    });
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      try {
        const view = await api("/api/views", {method: "POST", headers: {"content-type": "application/json"},
          body: JSON.stringify({name: name.value, note: note.value, shared: shared.value,
                                url: location.pathname + location.search})});
        done.replaceChildren("Saved as ", el("a", {href: view.link}, view.name), " · ",
          el("a", {href: "/views"}, "all saved views"));
      } catch (error) {
        done.replaceChildren(`Not saved: ${error.message}`);
      }
    });
  }
  document.querySelectorAll("button.delete-view").forEach((b) => b.addEventListener("click", async () => {
    try {
      await api(`/api/views/${encodeURIComponent(b.dataset.id)}`, {method: "DELETE"});
      b.closest("tr").remove();
    } catch (error) { showError(error.message); }
  }));
})();
