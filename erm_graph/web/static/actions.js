/* Quick actions on an account page (for the roles that work accounts): log an interaction with
   notes, open a case or an opportunity, and work the party's open cases (assign, escalate,
   resolve) and opportunities (assign, advance). Each calls one route of /api (audited there);
   people and products are picked by name (erm.typeahead). Kept apart from account.js, which
   draws the page: after each action this panel redraws itself and fires `erm:account-changed`
   on the document, for the page to refresh what it shows. */
"use strict";
(() => {
  const root = document.getElementById("account-page");
  const box = document.getElementById("actions");
  if (!root || !box || document.body.dataset.mayWork !== "1") return;
  const uid = root.dataset.uid;
  const {api, el, uidPath, typeahead, showError, link} = erm;
  const status = document.getElementById("actions-status");
  const json = (body) => ({method: "POST", headers: {"content-type": "application/json"}, body: JSON.stringify(body)});
  let counter = 0;

  /* A labelled control; `lookup` (a label) makes it a look-up by name that keeps the uid. */
  function field(text, control, lookup) {
    control.id = control.id || `qa-${++counter}`;
    const p = el("p", {class: "field"}, el("label", {for: control.id}, text), " ", control);
    if (lookup !== undefined) {
      control.placeholder = control.placeholder || "type a name";
      typeahead(control, {label: lookup || undefined, onPick: (r) => { control.value = r.name || r.uid; control.dataset.uid = r.uid; }});
      control.addEventListener("input", () => { control.dataset.uid = ""; });
    }
    return p;
  }
  const picked = (control) => (control.dataset.uid || control.value.trim() || null);
  const select = (name, options) => el("select", {name}, ...options.map(([v, t]) => el("option", {value: v}, t)));
  const choices = (form, name) => form.fields.find((f) => f.name === name).choices.map((c) => [c, c]);

  async function act(path, body, said) {
    showError("");
    try {
      const done = await api(path, json(body));
      document.dispatchEvent(new CustomEvent("erm:account-changed", {detail: done}));
      await drawWork();
      status.textContent = said(done);  // once the lists show the change
      return true;
    } catch (error) {
      showError(error.message);
      status.textContent = "";
      return false;
    }
  }

  function logForm(interaction) {
    const kind = select("kind", choices(interaction, "kind"));
    kind.value = "call";
    const channel = select("channel", [["", "(none)"], ...choices(interaction, "channel")]);
    const sentiment = select("sentiment", [["", "(not noted)"], ["-1", "angry"], ["-0.5", "unhappy"], ["0", "neutral"], ["0.5", "pleased"], ["1", "delighted"]]);
    const product = el("input", {name: "product"});
    const notes = el("textarea", {name: "notes", rows: "3"});
    const form = el("form", {id: "log-form"}, field("Kind", kind), field("Channel", channel), field("Sentiment", sentiment),
      field("Product", product, "Product"), field("Notes", notes), el("button", {type: "submit"}, "Log it"));
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      const ok = await act(`/api/accounts/${uidPath(uid)}/interactions`, {kind: kind.value, channel: channel.value || null,
        sentiment: sentiment.value === "" ? null : Number(sentiment.value), product: picked(product), notes: notes.value || null},
      (done) => `Logged the ${done.after.kind} (${done.uid}).`);
      if (ok) { notes.value = ""; product.value = ""; }
    });
    return form;
  }

  function caseForm(kase) {
    const kind = select("kind", choices(kase, "kind"));
    const severity = select("severity", [["", "(not set)"], ["1", "1 critical"], ["2", "2 high"], ["3", "3 normal"], ["4", "4 low"]]);
    const product = el("input", {name: "product"});
    const assignee = el("input", {name: "assignee"});
    const summary = el("textarea", {name: "summary", rows: "2"});
    const offered = el("div", {id: "case-suggestions", "aria-live": "polite"});
    const form = el("form", {id: "case-form"}, field("Kind", kind), field("Severity", severity), field("Product", product, "Product"),
      field("Assign to", assignee, ""), field("Summary", summary), el("button", {type: "submit"}, "Open the case"), offered);
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      let opened = null;
      act(`/api/accounts/${uidPath(uid)}/cases`, {kind: kind.value, severity: severity.value ? Number(severity.value) : null,
        product: picked(product), assignee: picked(assignee), summary: summary.value || null},
      (done) => { opened = done.uid; return `Opened case ${done.uid}.`; })
        .then((ok) => (ok && opened ? suggestionsFor(opened, offered) : null));
    });
    return form;
  }

  /* The knowledge base's articles for a newly opened case (same product and symptom first). */
  async function suggestionsFor(caseUid, where) {
    const found = await api(`/api/cases/${uidPath(caseUid)}/suggestions`);
    where.replaceChildren(el("h4", {}, `Suggested articles for ${caseUid}`), found.rows.length
      ? el("ol", {}, ...found.rows.map((a) => el("li", {"data-article": a.uid},
        el("a", {href: `/kb?article=${encodeURIComponent(a.uid)}`, target: "_blank"}, a.title),
        el("span", {class: "muted small"}, ` ${a.same_topic ? "same product; " : ""}score ${a.score}`))))
      : el("p", {class: "muted"}, "No article matches this case yet."));
  }

  function dealForm() {
    const name = el("input", {name: "name"});
    const amount = el("input", {name: "amount", type: "number", min: "0", step: "any"});
    const close = el("input", {name: "close_date", type: "date"});
    const product = el("input", {name: "product"});
    const assignee = el("input", {name: "assignee"});
    const form = el("form", {id: "deal-form"}, field("Name", name), field("Amount", amount), field("Close by", close),
      field("Product", product, "Product"), field("Assign to", assignee, ""), el("button", {type: "submit"}, "Open the opportunity"));
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      act(`/api/accounts/${uidPath(uid)}/opportunities`, {name: name.value, amount: amount.value === "" ? null : Number(amount.value),
        close_date: close.value || null, product: picked(product), assignee: picked(assignee)}, (done) => `Opened opportunity ${done.uid} (lead).`);
    });
    return form;
  }

  /* One row's actions: a look-up and a button, or a text and a button. */
  function inline(what, control, lookup, go) {
    control.setAttribute("aria-label", what);
    const span = el("span", {class: "inline-action"}, control, el("button", {type: "button", onclick: () => go(control)}, what));
    if (lookup !== undefined) {  // once in its span: the list of matches goes beside it
      control.placeholder = "type a name";
      typeahead(control, {label: lookup || undefined, onPick: (r) => { control.value = r.name || r.uid; control.dataset.uid = r.uid; }});
      control.addEventListener("input", () => { control.dataset.uid = ""; });
    }
    return span;
  }

  function caseRow(c) {
    const base = `/api/cases/${uidPath(c.uid)}`;
    const article = el("select", {class: "article", "aria-label": `article used for ${c.uid}`}, el("option", {value: ""}, "(no article)"));
    api(`${base}/suggestions?limit=5`).then((found) => article.append(...found.rows.map((a) => el("option", {value: a.uid}, a.title))))
      .catch(() => {});
    return el("tr", {"data-case": c.uid}, el("td", {}, link(c.uid, c.name || c.uid, ["Case"])), el("td", {}, c.status),
      el("td", {}, c.kind), el("td", {}, c.severity ?? ""), el("td", {}, c.escalated ? "yes" : ""),
      el("td", {}, (c.assigned_to || []).map((a) => a.name).join(", ")),
      el("td", {},
        inline("Assign", el("input", {class: "assign"}), "", (i) => act(`${base}/assign`, {assignee: picked(i)}, () => `Case ${c.uid} assigned.`)),
        el("button", {type: "button", class: "escalate", onclick: () => act(`${base}/escalate`, {severity: Math.max(1, (c.severity || 2) - 1)}, () => `Case ${c.uid} escalated.`)}, "Escalate"),
        article,
        inline("Resolve", el("input", {class: "resolution", placeholder: "what was done"}), undefined,
          (i) => act(`${base}/resolve`, {resolution: i.value, article: article.value || null}, () => `Case ${c.uid} resolved.`))));
  }

  function dealRow(d, stages) {
    const base = `/api/opportunities/${uidPath(d.uid)}`;
    const stage = select("stage", stages.map((s) => [s, s]));
    stage.value = d.stage || "lead";
    return el("tr", {"data-opportunity": d.uid}, el("td", {}, link(d.uid, d.name || d.uid, ["Opportunity"])), el("td", {}, d.stage || ""),
      el("td", {}, d.amount ?? ""),
      el("td", {},
        inline("Assign", el("input", {class: "assign"}), "", (i) => act(`${base}/assign`, {assignee: picked(i)}, () => `Opportunity ${d.uid} assigned.`)),
        inline("Move to stage", stage, undefined, (s) => act(`${base}/advance`, {stage: s.value}, () => `Opportunity ${d.uid} moved to ${s.value}.`))));
  }

  let stages = [];
  async function drawWork() {
    const a = await api(`/api/accounts/${uidPath(uid)}?sections=cases,deals`);
    const open = a.cases.rows.filter((c) => c.open);
    const deals = a.deals.rows.filter((d) => d.kind === "Opportunity" && !["won", "lost"].includes(d.stage));
    const head = (...names) => el("thead", {}, el("tr", {}, ...names.map((h) => el("th", {}, h))));
    document.getElementById("work-cases").replaceChildren(open.length
      ? el("table", {class: "grid"}, head("case", "status", "kind", "sev.", "escalated", "assigned to", ""), el("tbody", {}, ...open.map(caseRow)))
      : el("p", {class: "muted"}, "No open cases."));
    document.getElementById("work-deals").replaceChildren(deals.length
      ? el("table", {class: "grid"}, head("opportunity", "stage", "amount", ""), el("tbody", {}, ...deals.map((d) => dealRow(d, stages))))
      : el("p", {class: "muted"}, "No open opportunities."));
  }

  async function start() {
    const [interaction, kase, deal] = await Promise.all(["Interaction", "Case", "Opportunity"].map((l) => api(`/api/forms/${l}`)));
    stages = deal.fields.find((f) => f.name === "stage").choices;
    const fold = (id, title, form) => el("details", {id}, el("summary", {}, title), form);
    document.getElementById("actions-forms").replaceChildren(
      fold("qa-log", "Log an interaction", logForm(interaction)),
      fold("qa-case", "Open a case", caseForm(kase)),
      fold("qa-deal", "Open an opportunity", dealForm()));
    await drawWork();
  }

  start().catch((error) => showError(error.message));
})();
