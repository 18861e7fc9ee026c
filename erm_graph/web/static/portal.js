/* The partner portal: reads /api/portal and draws the partner's record, its contacts and the
   customers, opportunities and cases shared with it; each record it may change gets a form of
   exactly the fields the server lets it change (sent with the page's data), saved with
   PATCH /api/nodes/UID, which checks them again and audits the edit. */
"use strict";
(() => {
  const {api, el, uidPath, showError, link, table} = erm;
  const status = document.getElementById("portal-status");
  let counter = 0;
  const day = (v) => String(v || "").slice(0, 10);
  const money = (v) => (v === null || v === undefined ? "" : Number(v).toLocaleString(undefined, {maximumFractionDigits: 2}));

  function section(id, ...children) {
    const box = document.getElementById(id);
    box.replaceChildren(box.querySelector("h2"), ...children.filter((c) => c !== null && c !== undefined));
  }

  function control(field, value) {
    const id = `pf-${++counter}`;
    let input;
    if (field.choices.length) {
      input = el("select", {name: field.name, id}, el("option", {value: ""}, "(none)"),
        ...field.choices.map((c) => el("option", {value: c}, c)));
      input.value = value === null || value === undefined ? "" : String(value);
    } else {
      const type = {float: "number", int: "number", date: "date"}[field.kind] || "text";
      input = el("input", {name: field.name, id, type});
      if (type === "number") input.step = "any";
      input.value = value === null || value === undefined ? "" : String(value);
    }
    return el("p", {class: "field"}, el("label", {for: id}, field.name.replace("_", " ")), " ", input);
  }

  /* The edit form of one record: its editable fields, saved together; only changed fields are sent. */
  function editForm(record, fields) {
    if (!fields || !fields.length) return null;
    const form = el("form", {class: "portal-edit", "data-uid": record.uid},
      ...fields.map((f) => control(f, record.properties[f.name])), el("button", {type: "submit"}, "Save"));
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      showError("");
      const changed = {};
      for (const f of fields) {
        const value = form.elements[f.name].value;
        const was = record.properties[f.name];
        if (value !== (was === null || was === undefined ? "" : String(was))) changed[f.name] = value;
      }
      if (!Object.keys(changed).length) { status.textContent = "Nothing changed."; return; }
      try {
        await api(`/api/nodes/${uidPath(record.uid)}`, {method: "PATCH", headers: {"content-type": "application/json"},
          body: JSON.stringify({properties: changed})});
        await draw();  // then say so: the page shows the change by the time it is announced
        status.textContent = `Saved ${record.name}: ${Object.keys(changed).join(", ")}.`;
      } catch (error) {
        showError(error.message);
      }
    });
    return el("details", {class: "edit"}, el("summary", {}, `Update ${record.name}`), form);
  }

  function shared(record) {
    return el("span", {class: "muted small"}, `shared ${day(record.shared_at)}${record.shared_by ? ` by ${record.shared_by}` : ""}`);
  }

  /* A won or lost deal is closed: the server refuses changes to it, so no form is offered. */
  const closed = (r) => r.label === "Opportunity" && ["won", "lost"].includes(r.properties.stage);

  function cards(records, columns, fields, empty) {
    if (!records.length) return [el("p", {class: "muted"}, empty)];
    return [el("div", {class: "records"}, ...records.map((r) => el("div", {class: "portal-record", "data-uid": r.uid},
      el("h3", {}, link(r.uid, r.name, [r.label]), " ", shared(r)),
      el("table", {class: "fields"}, ...columns.map(([k, title, fmt]) => el("tr", {},
        el("th", {scope: "row"}, title), el("td", {}, r.properties[k] === undefined || r.properties[k] === null ? "—" : (fmt || String)(r.properties[k]))))),
      closed(r) ? el("p", {class: "muted small"}, `Closed (${r.properties.stage}): no longer updated.`) : editForm(r, fields))))];
  }

  async function draw() {
    const d = await api("/api/portal");
    document.getElementById("portal-loading").hidden = true;
    const own = d.editable.own, mine = d.editable.shared;
    if (d.party) {
      const p = d.party;
      section("portal-own", el("table", {class: "fields"}, ...["email", "phone", "website", "address"].map((k) =>
        el("tr", {}, el("th", {scope: "row"}, k), el("td", {}, p.properties[k] ?? "—")))),
        editForm(p, own.Party));
    }
    section("portal-contacts", ...(d.contacts.length ? d.contacts.map((c) => el("div", {class: "portal-record", "data-uid": c.uid},
      el("h3", {}, c.name), el("p", {class: "muted small"}, [c.properties.title, c.properties.email, c.properties.phone].filter(Boolean).join(" · ")),
      editForm(c, own.Contact))) : [el("p", {class: "muted"}, "No contacts on record.")]));
    section("portal-opportunities", ...cards(d.opportunities, [["stage", "stage"], ["amount", "amount", money],
      ["close_date", "close date", day], ["next_step", "next step"]], mine.Opportunity, "No opportunities are shared with you."));
    section("portal-cases", ...cards(d.cases, [["kind", "kind"], ["status", "status"], ["severity", "severity"],
      ["opened_at", "opened", day], ["summary", "summary"]], mine.Case, "No cases are shared with you."));
    section("portal-customers", ...cards(d.customers, [["industry", "industry"], ["country", "country"], ["segment", "segment"]],
      mine.Party, "No customers are shared with you."));
  }

  draw().catch((error) => showError(error.message));
})();
