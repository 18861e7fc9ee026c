/* The account page of a party: reads /api/accounts/UID and draws its sections; the timeline's
   filters and pages keep their state in the URL (?kind=&channel=&product=&since=&until=&offset=). */
"use strict";
(() => {
  const root = document.getElementById("account-page");
  const uid = root.dataset.uid;
  const {el, link, table} = erm;
  const money = (v) => (v === null || v === undefined ? "" : Number(v).toLocaleString(undefined, {maximumFractionDigits: 2}));
  const day = (v) => String(v || "").slice(0, 10);
  const names = (list, labels) => {
    const span = el("span", {});
    (list || []).forEach((x, i) => span.append(...(i ? [", "] : []), link(x.uid, x.name, labels || x.labels)));
    return span;
  };
  const FILTERS = ["kind", "channel", "product", "since", "until"];
  const MAIN = "people,cases,deals,timeline,products,steps,value,risk,warm_paths";

  function section(id, ...children) {
    const box = document.getElementById(id);
    box.replaceChildren(box.querySelector("h2"), ...children.filter((c) => c !== null && c !== undefined));
  }

  function more(part, what) {
    return part.count > part.rows.length
      ? el("p", {class: "muted small"}, `${part.rows.length} of ${part.count} ${what} shown`) : null;
  }

  function reasons(list) { return el("ul", {class: "reasons"}, ...list.map((r) => el("li", {}, r))); }

  function drawCases(a) {
    const c = a.cases;
    const rows = c.rows.map((x) => {
      const tr = el("tr", {class: x.open ? "open" : ""}, el("td", {}, link(x.uid, x.name || x.uid, ["Case"])),
        el("td", {}, x.status), el("td", {}, x.kind), el("td", {}, x.severity),
        el("td", {}, day(x.opened_at)), el("td", {}, names(x.products, ["Product"])), el("td", {}, names(x.assigned_to)));
      return tr;
    });
    section("cases", el("p", {}, el("strong", {}, `${c.open} open`), ` of ${c.count} case(s)`),
      c.rows.length ? el("table", {class: "grid", id: "cases-table"},
        el("thead", {}, el("tr", {}, ...["case", "status", "kind", "sev.", "opened", "product", "assigned to"].map((h) => el("th", {}, h)))),
        el("tbody", {}, ...rows)) : el("p", {class: "muted"}, "No cases."), more(c, "cases"));
  }

  function drawPeople(a) {
    const owners = a.owners.rows.length ? names(a.owners.rows, ["Employee"]) : el("span", {class: "warning"}, "⚠ no account owner");
    section("people", el("p", {}, "★ Account owner: ", owners),
      a.team.rows.length ? table(["team member", "interactions", "last", "strength over time"],
        a.team.rows.map((e) => [link(e.uid, e.name, ["Employee"]), e.interactions, day(e.last), sparkline(e)])) : el("p", {class: "muted"}, "No one has met them yet."),
      more(a.team, "people"));
  }

  function drawContacts(a) {
    const tie = (t) => (t.direction === "out" ? `${a.name} ${t.kind || "relates to"} →` : `← ${t.kind || "relates to"}`);
    section("contacts",
      a.contacts.rows.length ? table(["contact", "title", "email"],
        a.contacts.rows.map((k) => [link(k.uid, k.name, ["Contact"]), k.title, k.email])) : el("p", {class: "muted"}, "No contacts."),
      more(a.contacts, "contacts"),
      el("h3", {}, "Related parties"),
      a.ties.rows.length ? table(["tie", "party", "kind"],
        a.ties.rows.map((t) => [tie(t), link(t.uid, t.name, ["Party"]), t.kinds.join(", ")])) : el("p", {class: "muted"}, "No ties to other parties."),
      more(a.ties, "ties"));
  }

  // the KNOWS strength series ("YYYY-MM-DD=score", oldest first) as a small line, 0 to 1
  function sparkline(e) {
    const points = (e.strength_series || []).map((s) => [s.slice(0, 10), Number(s.slice(11))]);
    if (!points.length) return e.strength === null || e.strength === undefined ? "" : String(e.strength);
    const w = 80, h = 18, n = points.length;
    const xy = points.map(([, v], i) => `${n === 1 ? w / 2 : (i * w / (n - 1)).toFixed(1)},${(h - 1 - v * (h - 2)).toFixed(1)}`);
    const svg = document.createElementNS("http://www.w3.org/2000/svg", "svg");
    svg.setAttribute("width", w); svg.setAttribute("height", h); svg.setAttribute("class", "sparkline");
    svg.setAttribute("role", "img");
    const first = points[0], last = points[n - 1];
    svg.setAttribute("aria-label", `strength ${first[1]} on ${first[0]}, ${last[1]} on ${last[0]} (${n} samples)`);
    const line = document.createElementNS("http://www.w3.org/2000/svg", "polyline");
    line.setAttribute("points", xy.join(" ")); line.setAttribute("fill", "none");
    line.setAttribute("stroke", "currentColor"); line.setAttribute("stroke-width", "1.5");
    const title = document.createElementNS("http://www.w3.org/2000/svg", "title");
    title.textContent = points.map(([d, v]) => `${d}: ${v}`).join("\n");
    svg.append(title, line);
    return el("span", {class: "spark"}, svg, ` ${last[1]}`);
  }

  function drawValueRisk(a) {
    if (!a.value && !a.risk) {
      section("value-risk", el("p", {class: "muted"}, a.kinds.includes("Customer")
        ? "Not shown to partners." : "Value and risk are scored for customers."));
      return;
    }
    const q = (name) => el("a", {href: `/queries?name=${name}`, class: "small"}, `how: ${name}`);
    const parts = [el("h3", {}, "Lifetime value"), el("p", {class: "figure", id: "value"}, money(a.value.value)),
      reasons(a.value.reasons), q(a.value.query)];
    if (a.risk) {
      parts.push(el("h3", {}, "Churn risk"), el("p", {class: "figure", id: "risk"}, String(a.risk.risk)),
        reasons(a.risk.reasons), q(a.risk.query));
    }
    section("value-risk", ...parts);
  }

  // the forecast fits a model on every customer's purchases: asked for apart, once the page is
  // drawn (the server keeps the fit until the graph changes)
  async function drawPredicted(a) {
    if (!a.value) return;
    const box = el("div", {id: "predicted"}, el("h3", {}, "Predicted value, next 12 months"),
      el("p", {class: "muted"}, "Fitting the purchase model…"));
    document.getElementById("value-risk").append(box);
    let p;
    try {
      p = await erm.api(`/api/clv/${erm.uidPath(uid)}?horizon=12`);
    } catch (e) {
      box.replaceChildren(el("h3", {}, "Predicted value"), el("p", {class: "muted"}, e.message));
      document.body.dataset.clv = "1";
      return;
    }
    if (p.predicted_value === null || p.predicted_value === undefined) {
      box.replaceChildren(el("h3", {}, "Predicted value"), el("p", {class: "muted"}, p.says));
    } else {
      box.replaceChildren(el("h3", {}, `Predicted value, next ${p.horizon} months`),
        el("p", {class: "figure", id: "predicted-value"}, money(p.predicted_value)),
        reasons([`between ${money(p.value_low)} and ${money(p.value_high)} (90% interval of the model's expectation)`,
          `${p.expected_purchases} purchase(s) expected (${p.purchases_low} to ${p.purchases_high}) at ${money(p.spend_per_purchase)} each`,
          `still buying with probability ${Math.round(p.p_alive * 100)} %`,
          `from ${p.purchases} purchase day(s), ${day(p.first_purchase)} to ${day(p.last_purchase)}; history to ${day(p.end)}`]),
        el("a", {href: `/api/clv/${erm.uidPath(uid)}`, class: "small"}, "how: BG/NBD + Gamma-Gamma (erm clv)"));
    }
    document.body.dataset.clv = "1";
  }

  function drawDeals(a) {
    section("deals", a.deals.rows.length ? table(["", "name", "stage", "amount", "dates", "product"],
      a.deals.rows.map((d) => [d.kind, link(d.uid, d.name, [d.kind]), d.stage || "", money(d.amount),
        d.kind === "Contract" ? `${day(d.start)} – ${day(d.end)}` : day(d.close_date), names(d.products, ["Product"])]))
      : el("p", {class: "muted"}, "No opportunities or contracts."), more(a.deals, "deals"));
  }

  function drawTimeline(a) {
    const t = a.timeline;
    const form = document.getElementById("timeline-filters");
    const fill = (name, values, label) => {
      const select = form.elements[name];
      select.replaceChildren(el("option", {value: ""}, "any"), ...values.map(([v, text]) => el("option", {value: v}, text || v)));
      select.value = t.filters[name] || "";
    };
    fill("kind", t.kinds.map((k) => [k]));
    fill("channel", t.channels.map((c) => [c]));
    fill("product", a.products.rows.map((p) => [p.uid, p.name]));
    form.elements.since.value = t.filters.since || "";
    form.elements.until.value = t.filters.until || "";
    const rows = t.rows.map((i) => [link(i.uid, day(i.at) + " " + String(i.at || "").slice(11, 16), ["Interaction"]),
      names(i.who), names(i.staff, ["Employee"]), i.kind, names(i.products, ["Product"]), i.channel,
      i.sentiment, money(i.amount)]);
    const pager = el("p", {class: "small"}, `${t.count ? t.offset + 1 : 0}–${t.offset + t.rows.length} of ${t.count}`);
    if (t.offset > 0) pager.append(" ", el("button", {type: "button", onclick: () => go({offset: Math.max(0, t.offset - t.limit)})}, "newer"));
    if (t.offset + t.rows.length < t.count) pager.append(" ", el("button", {type: "button", onclick: () => go({offset: t.offset + t.limit})}, "older"));
    const box = document.getElementById("timeline-rows");
    box.replaceChildren(t.rows.length ? table(["when", "who", "with us", "what", "product", "channel", "sentiment", "amount"], rows)
      : el("p", {class: "muted"}, "No interactions match."), pager);
    box.querySelector("table") && box.querySelector("table").setAttribute("id", "timeline-table");
  }

  function drawProducts(a) {
    section("products", a.products.rows.length ? table(["product", "held", "bought", "asked", "cases"],
      a.products.rows.map((p) => [link(p.uid, p.name, ["Product"]), p.held, p.bought, p.asked, p.cases]))
      : el("p", {class: "muted"}, "No products yet."), more(a.products, "products"));
  }

  function drawWarm(a) {
    const w = a.warm_paths;
    const box = document.getElementById("warm-rows");
    document.getElementById("warm-from").closest("p").hidden = !w;
    if (!w) { box.replaceChildren(el("p", {class: "muted"}, "Not shown to partners.")); return; }
    const mine = !new URLSearchParams(location.search).get("employee");
    const from = w.employee ? el("p", {id: "warm-employee"}, mine ? "From you: " : "From: ",
      link(w.employee.uid, w.employee.name, ["Employee"]))
      : el("p", {class: "muted small"}, "Your user is not one of the employees: paths from anyone.");
    const chain = (r) => {
      const span = el("span", {});
      r.chain.forEach((n, i) => span.append(...(i ? [` —${r.relationships[i - 1]}→ `] : []), link(n.uid, n.name)));
      return span;
    };
    box.replaceChildren(from, w.rows.length ? el("ol", {}, ...w.rows.map((r) => el("li", {}, chain(r),
      el("span", {class: "muted small"}, ` (${r.hops} hop(s), strength ${r.strength})`))))
      : el("p", {class: "muted"}, "No warm path found."));
  }

  function drawSteps(a) {
    const s = a.steps;
    section("steps", s.maps.length ? el("p", {}, "Maps: ", ...s.maps.flatMap((m, i) => [...(i ? [", "] : []),
      el("a", {href: `/map/${erm.uidPath(m.uid)}`}, m.name || m.uid)])) : null,
      s.rows.length ? table(["step", "role", "interactions", "process"],
        s.rows.map((x) => [link(x.uid, x.name, ["Step"]), x.role || "", x.interactions, names(x.processes, ["Process"])]))
        : el("p", {class: "muted"}, "Takes part in no mapped step."), more(s, "steps"));
  }

  function drawSimilar(a) {
    if (!a.similar) {
      section("similar", el("p", {class: "muted"}, a.kinds.includes("Customer") ? "Not shown to partners." : "For customers."));
      return;
    }
    section("similar",
      a.similar.rows.length ? table(["similar customer", "score", "why"],
        a.similar.rows.map((r) => [link(r.uid, r.name, ["Party"]), r.score, r.reasons.join("; ")])) : el("p", {class: "muted"}, "No customer bought the same products."),
      el("h3", {}, "Cross-sell"),
      a.cross_sell.rows.length ? table(["product", "score", "why"],
        a.cross_sell.rows.map((r) => [link(r.uid, r.name, ["Product"]), r.score, r.reasons.join("; ")])) : el("p", {class: "muted"}, "No suggestion."));
  }

  let latest = 0;  // a reload's answer replaces an earlier one's, never the other way round

  async function load(suggestions) {
    const mine = ++latest;
    const params = new URLSearchParams(location.search);
    const keep = new URLSearchParams();
    for (const k of [...FILTERS, "offset", "employee"]) if (params.get(k)) keep.set(k, params.get(k));
    // similar customers and cross-sell weigh this customer against all others: asked for
    // once the rest of the page is drawn, so it neither waits for them nor shares the server
    const path = `/api/accounts/${erm.uidPath(uid)}?`;
    const a = await erm.api(`${path}sections=${MAIN}&${keep}`);
    if (mine !== latest) return;
    document.getElementById("account-kinds").textContent = `${a.kinds.join(" · ")} · ${a.uid}`;
    document.getElementById("account-loading").hidden = true;
    for (const draw of [drawCases, drawPeople, drawContacts, drawValueRisk, drawDeals, drawProducts,
      drawTimeline, drawWarm, drawSteps]) draw(a);
    window.ermAccount = a;
    document.body.dataset.ready = "1";
    drawPredicted(a);
    if (!suggestions) return;
    Object.assign(a, await erm.api(`${path}sections=similar,cross_sell`));
    drawSimilar(a);
    document.body.dataset.suggestions = "1";
  }

  function go(changes) {
    const params = new URLSearchParams(location.search);
    for (const [k, v] of Object.entries(changes)) { if (v === "" || v === null || v === undefined) params.delete(k); else params.set(k, v); }
    history.pushState(null, "", `${location.pathname}?${params}`);
    document.body.dataset.ready = "";
    load(false).catch((e) => erm.showError(e.message));
  }

  document.getElementById("timeline-filters").addEventListener("submit", (event) => {
    event.preventDefault();
    const f = event.target.elements;
    go({...Object.fromEntries(FILTERS.map((k) => [k, f[k].value])), offset: ""});
  });
  // the field gets its type-ahead from common.js (data-lookup) and the picked uid on change
  // (the browser fires change again when the field loses focus: only a new pick reloads)
  document.getElementById("warm-from").addEventListener("change", (event) => {
    const picked = event.target.value.trim();
    if (picked && picked !== new URLSearchParams(location.search).get("employee")) go({employee: picked});
  });
  window.addEventListener("popstate", () => load(false).catch((e) => erm.showError(e.message)));
  // a quick action (actions.js) wrote to this account: draw it again
  document.addEventListener("erm:account-changed", () => load(false).catch((e) => erm.showError(e.message)));
  load(true).catch((e) => erm.showError(e.message));
})();
