/* Edit mode of the map page (editors): a side panel whose forms add, rename and remove steps
   and flows, assign performers, documents and parties and set owners. Each form adds one
   change to a list shown in the panel; nothing is written until "Save as revision" sends the
   whole list in one request (POST /api/maps/{uid}/edit), which the server checks whole and
   saves as the map's next version, or refuses whole, naming the change and field. The save
   names the version the edit began on: a newer one (another editor, a reload of the file)
   refuses it with a 409. In edit mode a click on a step or component fills the form. */
"use strict";
window.ermMapEdit = (() => {
  const {el} = erm;
  let ctx = null;           // {data, page, panel, select} from map.js
  let on = false;
  let changes = [];         // what the save sends, in order
  let made = 0;             // new steps so far: their ids are new-1, new-2, ...
  const names = new Map();  // uid -> name of the records picked from a search, for the list
  let form, kindSelect, fields, list, saveButton, result;
  let saved = false;        // the save went through: leaving the page loses nothing
  // unsaved changes: the browser asks before the page is left
  addEventListener("beforeunload", (event) => { if (changes.length && !saved) event.preventDefault(); });

  const KINDS = {
    add_step: "Add a step", rename_step: "Rename a step", remove_step: "Remove a step",
    add_flow: "Add a flow", remove_flow: "Remove a flow", rename_flow: "Label a flow",
    assign_performer: "Assign a performer", attach_document: "Attach a document or data store",
    add_party: "Add a party", detach: "Detach a performer, document or party",
    set_owner: "Set the owner of a component",
  };

  /* The steps a change may name: the map's, then those added earlier in the list. */
  function steps() {
    const drawn = ctx.data.nodes.filter((n) => n.band === "flow")
      .sort((a, b) => (a.x - b.x) || (a.y - b.y)).map((n) => ({id: n.id, name: n.name}));
    const removed = new Set(changes.filter((c) => c.kind === "remove_step").map((c) => c.step));
    const added = changes.filter((c) => c.kind === "add_step").map((c) => ({id: c.id, name: `${c.name} (new)`}));
    return [...drawn.filter((s) => !removed.has(s.id)), ...added];
  }
  const stepName = (id) => (steps().find((s) => s.id === id) || {name: id}).name;
  function flows() {
    const found = ctx.data.edges.filter((e) => e.type === "NEXT").map((e) => ({from: e.from, to: e.to}));
    return [...found, ...changes.filter((c) => c.kind === "add_flow").map((c) => ({from: c.from, to: c.to}))];
  }
  function components() {
    const shown = ctx.data.nodes.filter((n) => ["process", "flow", "document", "performer"].includes(n.band)
      && n.component);
    return [...shown.map((n) => ({id: n.id, name: `${n.name} (${n.category})`})),
      ...changes.filter((c) => c.kind === "add_step").map((c) => ({id: c.id, name: `${c.name} (new step)`}))];
  }

  /* ---- the fields of each kind of change ---- */
  let uniq = 0;
  function field(labelText, control, hint) {
    const id = `edit-f-${++uniq}`;
    control.id = id;
    return el("div", {class: "edit-field"}, el("label", {for: id}, labelText), control,
      hint ? el("span", {class: "muted small"}, hint) : null);
  }
  function stepSelect(name, options = {}) {
    const select = el("select", {name, required: options.optional ? null : ""});
    if (options.optional) select.append(el("option", {value: ""}, options.optional));
    for (const s of steps()) select.append(el("option", {value: s.id}, s.name));
    return select;
  }
  function text(name, attrs = {}) {
    return el("input", Object.assign({name, type: "text", maxlength: "500", autocomplete: "off"}, attrs));
  }
  function lookup(name, label, placeholder) {
    const input = text(name, {placeholder, required: "", "data-label": label});
    return input;
  }
  function choice(name, values) {
    return el("select", {name}, ...values.map(([v, t]) => el("option", {value: v}, t)));
  }
  function flowSelect(name) {
    const select = el("select", {name, required: ""});
    for (const f of flows()) select.append(el("option", {value: `${f.from}\n${f.to}`}, `${stepName(f.from)} → ${stepName(f.to)}`));
    return select;
  }

  const FORMS = {
    add_step: () => [field("Name", text("name", {required: ""})),
      field("Place", choice("place", [["after", "after the step"], ["before", "before the step"], ["", "unconnected"]])),
      field("Step", stepSelect("anchor", {optional: "(none)"}), "its flows are rewired through the new step"),
      field("Kind", choice("step_kind", [["task", "task"], ["event", "event"], ["gateway", "gateway (a decision)"],
        ["start", "start"], ["end", "end"], ["subprocess", "sub-process"]]))],
    rename_step: () => [field("Step", stepSelect("step")), field("New name", text("name", {required: ""}))],
    remove_step: () => [field("Step", stepSelect("step")),
      field("Its flows", choice("reconnect", [["true", "reconnect: join each step before it to each after it"],
        ["false", "remove them"]]))],
    add_flow: () => [field("From", stepSelect("from")), field("To", stepSelect("to")),
      field("Label", text("label", {placeholder: "e.g. yes, approved (optional)"}))],
    remove_flow: () => [field("Flow", flowSelect("flow"))],
    rename_flow: () => [field("Flow", flowSelect("flow")), field("Label", text("label", {placeholder: "empty: no label"}))],
    assign_performer: () => [field("Step", stepSelect("step")),
      field("Performer is", choice("performer_label", [["Employee", "an employee"], ["Department", "a department"]])),
      field("Performer", lookup("performer", "Employee", "name or uid")),
      field("Role", text("role", {placeholder: "e.g. lead (optional)"}))],
    attach_document: () => [field("Step", stepSelect("step")),
      field("How", choice("how", [["uses", "uses it"], ["produces", "produces it"]])),
      field("Existing document", lookup("document", "Document", "name or uid, or leave empty"), "or a new one:"),
      field("New document's name", text("name")),
      field("New document's kind", choice("document_kind", [["document", "document"], ["database", "database (data store)"],
        ["system", "system"], ["material", "material"]]))],
    add_party: () => [field("Step", stepSelect("step")), field("Party", lookup("party", "Party", "name or uid")),
      field("Role", text("role", {placeholder: "e.g. buyer (optional)"}))],
    detach: () => [field("Step", stepSelect("step")), field("Component", el("select", {name: "uid", required: ""}))],
    set_owner: () => [field("Component", el("select", {name: "component", required: ""},
      ...components().map((c) => el("option", {value: c.id}, c.name)))),
      field("Owner", lookup("owner", "Employee", "employee name or uid"))],
  };

  function attachedTo(step) {
    const found = [];
    for (const e of ctx.data.edges) {
      const other = e.from === step ? e.to : e.to === step ? e.from : null;
      const node = other && ctx.data.nodes.find((n) => n.id === other);
      if (node && ["performer", "document", "party"].includes(node.band)) found.push(node);
    }
    return found;
  }

  function fill() {
    fields.replaceChildren(...FORMS[kindSelect.value]());
    for (const input of fields.querySelectorAll("input[data-label]")) {
      erm.typeahead(input, {label: input.dataset.label, onPick: (r) => { input.value = r.uid; names.set(r.uid, r.name); }});
    }
    const performerLabel = fields.querySelector("[name=performer_label]");
    if (performerLabel) {
      performerLabel.addEventListener("change", () => {
        const input = fields.querySelector("[name=performer]");
        const fresh = lookup("performer", performerLabel.value, "name or uid");
        fresh.id = input.id;
        input.nextElementSibling && input.nextElementSibling.matches("ul.typeahead") && input.nextElementSibling.remove();
        input.replaceWith(fresh);
        erm.typeahead(fresh, {label: performerLabel.value, onPick: (r) => { fresh.value = r.uid; names.set(r.uid, r.name); }});
      });
    }
    const step = fields.querySelector("select[name=step]");
    const detachFrom = fields.querySelector("select[name=uid]");
    if (step && detachFrom) {
      const update = () => detachFrom.replaceChildren(...attachedTo(step.value)
        .map((n) => el("option", {value: n.id}, `${n.name} (${n.category})`)));
      step.addEventListener("change", update);
      update();
    }
    const rename = kindSelect.value === "rename_step" && fields.querySelector("[name=name]");
    if (rename && step) {
      const update = () => { rename.value = stepName(step.value).replace(/ \(new\)$/, ""); };
      step.addEventListener("change", update);
      update();
    }
  }

  /* ---- from the form to a change ---- */
  function value(name) {
    const found = fields.querySelector(`[name=${name}]`);
    return found ? found.value.trim() : "";
  }
  function change() {
    const kind = kindSelect.value;
    const c = {kind};
    const put = (key, v) => { if (v !== "") c[key] = v; };
    if (kind === "add_step") {
      c.id = `new-${++made}`;
      put("name", value("name"));
      if (value("place") && value("anchor")) c[value("place")] = value("anchor");
      put("step_kind", value("step_kind"));
    } else if (kind === "remove_flow" || kind === "rename_flow") {
      const [from, to] = value("flow").split("\n");
      Object.assign(c, {from, to});
      if (kind === "rename_flow") c.label = value("label") || null;
    } else if (kind === "remove_step") {
      c.step = value("step");
      c.reconnect = value("reconnect") === "true";
    } else if (kind === "attach_document") {
      put("step", value("step"));
      put("how", value("how"));
      if (value("document")) c.document = value("document");
      else { put("name", value("name")); put("document_kind", value("document_kind")); }
    } else {
      for (const name of ["step", "name", "from", "to", "label", "performer", "role", "party", "uid",
        "component", "owner"]) put(name, value(name));
    }
    return c;
  }
  function describe(c) {
    const s = (id) => `“${stepName(id)}”`;
    const known = new Map(ctx.data.nodes.map((n) => [n.id, n.name]));
    const who = (uid) => names.get(uid) || known.get(uid) || uid;
    switch (c.kind) {
      case "add_step": return `add step “${c.name}”` + (c.after ? ` after ${s(c.after)}` : c.before ? ` before ${s(c.before)}` : "");
      case "rename_step": return `rename ${s(c.step)} to “${c.name}”`;
      case "remove_step": return `remove ${s(c.step)}` + (c.reconnect ? " (reconnect its flows)" : " and its flows");
      case "add_flow": return `add flow ${s(c.from)} → ${s(c.to)}` + (c.label ? ` “${c.label}”` : "");
      case "remove_flow": return `remove flow ${s(c.from)} → ${s(c.to)}`;
      case "rename_flow": return `label flow ${s(c.from)} → ${s(c.to)} “${c.label || ""}”`;
      case "assign_performer": return `${who(c.performer)} performs ${s(c.step)}` + (c.role ? ` as ${c.role}` : "");
      case "attach_document": return `${s(c.step)} ${c.how || "uses"} ${c.document ? who(c.document) : `new “${c.name}”`}`;
      case "add_party": return `${who(c.party)} takes part in ${s(c.step)}`;
      case "detach": return `detach ${who(c.uid)} from ${s(c.step)}`;
      case "set_owner": return `owner of ${c.component.startsWith("new-") ? stepName(c.component) : who(c.component)}: ${who(c.owner)}`;
      default: return c.kind;
    }
  }
  function showList() {
    list.hidden = !changes.length;
    list.replaceChildren(...changes.map((c, i) => el("li", {"data-kind": c.kind}, describe(c), " ",
      el("button", {type: "button", class: "link", "aria-label": `drop change ${i + 1}: ${describe(c)}`,
        onclick: () => { changes.splice(i, 1); showList(); fill(); }}, "✕"))));
    document.getElementById("edit-count").textContent = String(changes.length);
    document.getElementById("edit-none").hidden = changes.length > 0;
    saveButton.disabled = !changes.length;
  }

  async function save() {
    saveButton.disabled = true;
    saveButton.setAttribute("aria-busy", "true");
    result.textContent = "Saving…";
    result.className = "edit-result";
    try {
      const done = await erm.api(`/api/maps/${erm.uidPath(ctx.page.dataset.uid)}/edit`, {
        method: "POST", headers: {"content-type": "application/json"},
        body: JSON.stringify({based_on: Number(ctx.page.dataset.version || 0), changes})});
      result.textContent = `Saved as version ${done.version}.`;
      saved = true;
      const url = new URL(location.href);
      url.searchParams.delete("select");
      url.hash = "map-history";
      history.replaceState(null, "", url);
      location.reload();  // the map redrawn, its history showing the new version
    } catch (error) {
      result.textContent = error.message;
      result.className = "edit-result error";
      saveButton.disabled = false;
    } finally {
      saveButton.removeAttribute("aria-busy");
    }
  }

  function build() {
    kindSelect = el("select", {id: "edit-kind", name: "kind"},
      ...Object.entries(KINDS).map(([k, t]) => el("option", {value: k}, t)));
    kindSelect.addEventListener("change", fill);
    fields = el("div", {id: "edit-fields"});
    form = el("form", {id: "edit-form", onsubmit: (event) => {
      event.preventDefault();
      const c = change();
      changes.push(c);
      result.textContent = "";
      showList();
      fill();
    }}, el("div", {class: "edit-field"}, el("label", {for: "edit-kind"}, "Change"), kindSelect), fields,
    el("button", {type: "submit"}, "Add to the list"));
    list = el("ol", {id: "edit-changes", "aria-live": "polite"});
    saveButton = el("button", {type: "button", id: "edit-save", class: "primary", disabled: "", onclick: save}, "Save as revision");
    result = el("div", {id: "edit-result", class: "edit-result", role: "status"});
    const version = Number(ctx.page.dataset.version || 0);
    ctx.edit.replaceChildren(
      el("h2", {id: "edit-title"}, "Edit map"),
      el("p", {class: "muted small"}, `Made on version ${version || "— (no history yet)"}. Each change goes into the list `
        + "below; nothing is written until you save. A click on the map fills the form."),
      form,
      el("h3", {}, "Changes (", el("span", {id: "edit-count"}, "0"), ")"),
      el("p", {class: "muted small", id: "edit-none"}, "None yet: add one with the form above."),
      list,
      el("div", {class: "edit-actions"}, saveButton,
        el("button", {type: "button", id: "edit-cancel", onclick: () => toggle(false)}, "Cancel")),
      result);
    showList();
    fill();
  }

  function toggle(want) {
    if (!want && changes.length && !confirm(`Drop the ${changes.length} change(s) not saved?`)) return;
    on = want;
    ctx.edit.hidden = !on;
    ctx.panel.hidden = on;
    ctx.button.setAttribute("aria-expanded", String(on));
    ctx.button.textContent = on ? "Close editing" : "Edit map";
    document.body.classList.toggle("map-editing", on);
    if (on) {
      if (!form) build();
      ctx.edit.focus();
    } else {
      changes = [];
      form = null;
    }
  }

  /* A click on the map in edit mode: the step (or component) goes into the form. */
  function picked(node) {
    const names = node.band === "flow" ? ["step", "from", "anchor"] : [];
    for (const name of names) {
      const select = fields.querySelector(`select[name=${name}]`);
      if (select && [...select.options].some((o) => o.value === node.id)) {
        select.value = node.id;
        select.dispatchEvent(new Event("change"));
        break;
      }
    }
    const owner = fields.querySelector("select[name=component]");
    if (owner && [...owner.options].some((o) => o.value === node.id)) owner.value = node.id;
    const by = {performer: "performer", document: "document", party: "party"}[node.band];
    const input = by && fields.querySelector(`input[name=${by}]`);
    if (input) { input.value = node.id; names.set(node.id, node.name); }
  }

  return {
    active: () => on,
    picked,
    start(context) {
      const button = document.getElementById("edit-map");
      const edit = document.getElementById("edit-panel");
      if (!button || !edit) return;
      ctx = Object.assign({}, context, {button, edit});
      button.addEventListener("click", () => toggle(!on));
      if (new URLSearchParams(location.search).get("edit") === "1") toggle(true);
    },
    changes: () => changes.slice(),
  };
})();
