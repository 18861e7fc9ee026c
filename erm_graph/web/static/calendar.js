/* The calendar page: add a task, book an appointment (its conflicts are shown), import an
   .ics file, mark tasks done, cancel appointments, and make or revoke the subscription
   address. People and records are picked by name (erm.typeahead); the page reloads to show
   what changed. */
"use strict";
(() => {
  const {api, el, uidPath, typeahead, showError} = erm;
  const reload = () => window.location.reload();
  const picked = (input) => (input && input.value.trim() ? input.dataset.uid || input.value.trim() : null);

  function lookup(input, label) {
    if (!input) return;
    typeahead(input, {label, onPick: (r) => { input.value = r.name || r.uid; input.dataset.uid = r.uid; }});
    input.addEventListener("input", () => { delete input.dataset.uid; });
  }

  document.querySelectorAll("button.task-done").forEach((b) => b.addEventListener("click", () =>
    api(`/api/tasks/${uidPath(b.dataset.uid)}/done`, {method: "POST"}).then(reload).catch((e) => showError(e.message))));
  document.querySelectorAll("button.appointment-cancel").forEach((b) => b.addEventListener("click", () =>
    api(`/api/appointments/${uidPath(b.dataset.uid)}/cancel`, {method: "POST"}).then(reload).catch((e) => showError(e.message))));

  const taskForm = document.getElementById("task-form");
  if (taskForm) {
    lookup(taskForm.elements.assignee, "Employee");
    lookup(taskForm.elements.about);
    taskForm.addEventListener("submit", async (event) => {
      event.preventDefault();
      const f = taskForm.elements;
      try {
        await api("/api/tasks", {method: "POST", headers: {"content-type": "application/json"},
          body: JSON.stringify({title: f.title.value, due: f.due.value, assignee: picked(f.assignee),
            priority: f.priority.value || null, about: picked(f.about)})});
        reload();
      } catch (e) { showError(e.message); }
    });
  }

  const form = document.getElementById("appointment-form");
  if (form) {
    const list = document.getElementById("attendee-list");
    const input = document.getElementById("attendee-input");
    typeahead(input, {onPick: (r) => {
      if (!["Employee", "Contact"].includes(r.label)) { showError(`${r.name} is a ${r.label}: invite employees and contacts`); return; }
      input.value = "";
      const chip = el("li", {"data-uid": r.uid}, `${r.name || r.uid} `,
        el("button", {type: "button", "aria-label": `Remove ${r.name}`, onclick: () => chip.remove()}, "×"));
      list.append(chip);
    }});
    lookup(form.elements.about);
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      const f = form.elements;
      const attendees = [...list.children].map((li) => li.dataset.uid);
      try {
        const done = await api("/api/appointments", {method: "POST", headers: {"content-type": "application/json"},
          body: JSON.stringify({title: f.title.value, start: f.start.value, end: f.end.value, attendees,
            place: f.place.value || null, about: picked(f.about)})});
        const out = document.getElementById("appointment-result");
        if (done.conflicts.length) {
          out.textContent = "Booked, with conflicts: " + done.conflicts.map((c) => c.why).join("; ");
          out.className = "conflict";
          setTimeout(reload, 2500);
        } else reload();
      } catch (e) { showError(e.message); }
    });
  }

  const importForm = document.getElementById("import-form");
  if (importForm) importForm.addEventListener("submit", async (event) => {
    event.preventDefault();
    try {
      const done = await api("/api/calendar/import", {method: "POST", body: new FormData(importForm)});
      document.getElementById("import-result").textContent =
        `Imported ${done.imported} appointment(s)` + (done.already_there ? `; ${done.already_there} were there already` : "") + ".";
      setTimeout(reload, 1500);
    } catch (e) { showError(e.message); }
  });

  const subscribe = document.getElementById("subscribe");
  subscribe.addEventListener("click", async () => {
    try {
      const done = await api("/api/calendar/subscription", {method: "POST"});
      const url = document.getElementById("feed-url");
      url.value = done.url; url.hidden = false; url.select();
    } catch (e) { showError(e.message); }
  });
  const unsubscribe = document.getElementById("unsubscribe");
  if (unsubscribe) unsubscribe.addEventListener("click", () =>
    api("/api/calendar/subscription", {method: "DELETE"}).then(reload).catch((e) => showError(e.message)));
})();
