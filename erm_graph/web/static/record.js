/* A record's form, drawn from the model (/api/forms/LABEL): a new record of any label, or one
   record's properties, relationships and removal. Every field is sent as typed; the server
   types text by the model and checks the record as a load is checked, so an error names the
   field, and that field is marked. */
"use strict";
(() => {
  const {api, el, uidPath, typeahead, showError, link} = erm;
  const page = document.getElementById("record-page");
  const label = page.dataset.label;
  const uid = page.dataset.uid;
  const fieldsBox = document.getElementById("record-fields");
  const result = document.getElementById("record-result");
  const json = (method, body) => ({method, headers: {"content-type": "application/json"}, body: JSON.stringify(body)});
  let stored = {};

  /* One model property as an input: a select for choices, a number, date or datetime box,
     a text area for notes, a `a; b` box for a list. */
  function input(field, value, prefix) {
    const id = `${prefix}-${field.name}`;
    const attrs = {id, name: field.name, "data-field": field.name};
    let control;
    if (field.widget === "select") {
      control = el("select", attrs, el("option", {value: ""}, field.required ? "choose…" : "(none)"),
        ...field.choices.map((c) => el("option", {value: c}, c)));
    } else if (field.widget === "textarea") {
      control = el("textarea", Object.assign(attrs, {rows: "3"}));
    } else {
      const type = field.widget === "list" ? "text" : field.widget;
      control = el("input", Object.assign(attrs, {type}));
      if (type === "number") {
        control.step = field.step;
        if (field.minimum !== null) control.min = field.minimum;
        if (field.maximum !== null) control.max = field.maximum;
      }
      if (field.widget === "datetime-local") control.step = "1";
      if (field.widget === "list") control.placeholder = "a; b; c";
    }
    if (field.required) control.setAttribute("aria-required", "true");
    control.value = shown(field, value);
    const help = [field.kind, field.help].filter(Boolean).join(" · ");
    return el("p", {class: "field"}, el("label", {for: id}, field.name, field.required ? " *" : ""), " ",
      control, help ? el("span", {class: "muted small"}, ` ${help}`) : null);
  }

  function shown(field, value) {
    if (value === null || value === undefined) return "";
    if (Array.isArray(value)) return value.join("; ");
    if (field.widget === "datetime-local") return String(value).replace(" ", "T").replace(/Z$/, "").slice(0, 19);
    return String(value);
  }

  /* The error names fields (`field 'severity': expected ...`): mark each such input. */
  function markFields(message) {
    document.querySelectorAll("[aria-invalid]").forEach((n) => n.removeAttribute("aria-invalid"));
    for (const match of message.matchAll(/field '([^']+)'/g)) {
      document.querySelectorAll(`#record-form [data-field="${CSS.escape(match[1])}"]`).forEach((n) => n.setAttribute("aria-invalid", "true"));
    }
  }

  async function send(path, options, done) {
    showError("");
    result.textContent = "";
    try {
      const answer = await api(path, options);
      markFields("");
      done(answer);
    } catch (error) {
      markFields(error.message);
      showError(error.message);
    }
  }

  function values(form, only) {
    const out = {};
    form.querySelectorAll("#record-fields [data-field]").forEach((control) => {
      const name = control.dataset.field;
      if (only && control.value === only[name]) return;
      out[name] = control.value;
    });
    return out;
  }

  /* The relationship types the record may have, as options: "RAISED ← Party, Contact". */
  function typeOptions(select, relationships) {
    select.replaceChildren(...relationships.map((r, i) => el("option", {value: String(i)},
      `${r.direction === "out" ? "" : "← "}${r.type}${r.direction === "out" ? " →" : ""} ${r.labels.join(", ")}`)));
  }

  function lookupFor(inputBox, relationship) {
    const only = relationship && relationship.labels.length === 1 ? relationship.labels[0] : undefined;
    inputBox.dataset.uid = "";
    typeahead(inputBox, {label: only, onPick: (r) => { inputBox.value = r.name || r.uid; inputBox.dataset.uid = r.uid; }});
  }

  function newLinkRow(form) {
    const box = document.getElementById("new-links");
    const n = box.children.length;
    const select = el("select", {id: `new-link-type-${n}`, class: "new-link-type"});
    typeOptions(select, form.relationships);
    const other = el("input", {id: `new-link-other-${n}`, class: "new-link-other", placeholder: "type a name"});
    box.append(el("p", {class: "filters-row"}, el("label", {for: select.id}, "Relationship "), select, " ",
      el("label", {for: other.id}, "to "), other));
    lookupFor(other, null);
  }

  async function relationships(form) {
    const box = document.getElementById("record-rels");
    const data = await api(`/api/nodes/${uidPath(uid)}/neighbors?limit=100`);
    const names = Object.fromEntries(data.nodes.map((n) => [n.id, n]));
    const rows = data.edges.map((e) => {
      const out = e.from === uid;
      const other = names[out ? e.to : e.from] || {id: out ? e.to : e.from, label: out ? e.to : e.from};
      const unlink = el("button", {type: "button", class: "unlink", onclick: () => {
        if (!window.confirm(`Remove the ${e.type} relationship ${out ? "to" : "from"} ${other.label}?`)) return;
        const q = new URLSearchParams({start: e.from, type: e.type, end: e.to});
        send(`/api/links?${q}`, {method: "DELETE"}, () => { result.textContent = `Unlinked ${e.type}.`; relationships(form); });
      }}, "Unlink");
      return el("tr", {}, el("td", {}, e.type), el("td", {}, out ? "→" : "←"),
        el("td", {}, link(other.id, other.label, other.labels)), el("td", {}, unlink));
    });
    box.replaceChildren(rows.length ? el("table", {class: "grid"}, el("thead", {}, el("tr", {},
      ...["type", "dir", "record", ""].map((h) => el("th", {}, h)))), el("tbody", {}, ...rows))
      : el("p", {class: "muted"}, "No relationships yet."));
    if (data.total > data.edges.length) box.append(el("p", {class: "muted"}, `${data.total - data.edges.length} more not shown (see the explorer).`));
  }

  async function start() {
    const form = await api(`/api/forms/${encodeURIComponent(label)}`);
    document.getElementById("record-help").textContent = form.help;
    if (uid) stored = (await api(`/api/nodes/${uidPath(uid)}`)).properties;
    fieldsBox.replaceChildren(...form.fields.map((f) => input(f, stored[f.name], "f")));
    const before = values(document.getElementById("record-form"));
    document.getElementById("record-form").addEventListener("submit", (event) => {
      event.preventDefault();
      if (uid) {
        const changed = values(event.target, before);
        if (!Object.keys(changed).length) { result.textContent = "Nothing changed."; return; }
        send(`/api/nodes/${uidPath(uid)}`, json("PATCH", {properties: changed}), (done) => {
          Object.assign(before, changed);
          result.textContent = `Saved: ${Object.keys(done.after).join(", ")}.`;
        });
      } else {
        const links = [...document.querySelectorAll("#new-links p")].map((row) => {
          const r = form.relationships[Number(row.querySelector(".new-link-type").value)];
          const other = row.querySelector(".new-link-other");
          return {type: r.type, direction: r.direction, uid: other.dataset.uid || other.value.trim()};
        }).filter((l) => l.uid);
        const properties = Object.fromEntries(Object.entries(values(event.target)).filter(([, v]) => v !== ""));
        send("/api/records", json("POST", {label, properties, links}), (done) => {
          location.href = `/edit/${uidPath(done.uid)}?created=1`;
        });
      }
    });
    if (!uid) {
      document.getElementById("record-links").hidden = !form.relationships.length;
      document.getElementById("add-link").addEventListener("click", () => newLinkRow(form));
      return;
    }
    if (new URLSearchParams(location.search).get("created")) result.textContent = `Created ${uid}.`;
    const typeSelect = document.getElementById("link-type");
    const other = document.getElementById("link-other");
    typeOptions(typeSelect, form.relationships);
    lookupFor(other, null);
    document.getElementById("link-form").addEventListener("submit", (event) => {
      event.preventDefault();
      const r = form.relationships[Number(typeSelect.value)];
      const target = other.dataset.uid || other.value.trim();
      if (!r || !target) { showError("choose a relationship type and a record"); return; }
      const [startUid, endUid] = r.direction === "out" ? [uid, target] : [target, uid];
      send("/api/links", json("POST", {start: startUid, type: r.type, end: endUid}), () => {
        result.textContent = `Linked ${r.type}.`;
        other.value = ""; other.dataset.uid = "";
        relationships(form);
      });
    });
    document.getElementById("record-remove").addEventListener("click", () => {
      if (!window.confirm(`Remove ${uid} and every relationship it has? The audit trail keeps what it held.`)) return;
      send(`/api/nodes/${uidPath(uid)}?label=${encodeURIComponent(label)}`, {method: "DELETE"}, () => {
        location.href = "/explore";
      });
    });
    await relationships(form);
  }

  const chooser = document.getElementById("label-select");  // a new record: which label
  if (chooser) chooser.addEventListener("change", () => { location.href = `/new/${encodeURIComponent(chooser.value)}`; });
  start().catch((error) => showError(error.message));
})();
