/* The Share control of a customer, opportunity or case (officers and editors): whom it is
   shared with (each share revocable at once) and a choice of partner to share it with. Reads
   and writes /api/shares, where each share and revocation is audited. `erm.share(box, uid)`
   draws it into `box`; the detail panel and the account page call it. */
"use strict";
(() => {
  const {api, el, link, showError} = erm;
  let counter = 0;

  async function share(box, uid) {
    const d = await api(`/api/shares?record=${encodeURIComponent(uid)}`);
    const id = `share-${++counter}`;
    const choose = el("select", {id, name: "partner"}, el("option", {value: ""}, "choose a partner"),
      ...d.partners.map((p) => el("option", {value: p.uid}, p.name)));
    const change = async (options) => {
      showError("");
      try { await api("/api/shares" + (options.query || ""), options); await share(box, uid); }
      catch (error) { showError(error.message); }
    };
    const rows = d.shares.map((s) => el("li", {"data-partner": s.partner}, link(s.partner, s.partner_name, ["Party"]),
      el("span", {class: "muted small"}, ` since ${String(s.at || "").slice(0, 10)} by ${s.by || "?"} `),
      el("button", {type: "button", class: "unshare", onclick: () => change({method: "DELETE",
        query: `?record=${encodeURIComponent(uid)}&partner=${encodeURIComponent(s.partner)}`})}, "Revoke")));
    const form = el("form", {class: "share-form"}, el("label", {for: id}, "Share with "), choose, " ",
      el("button", {type: "submit"}, "Share"));
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      if (choose.value) change({method: "POST", headers: {"content-type": "application/json"},
        body: JSON.stringify({record: uid, partner: choose.value})});
    });
    box.replaceChildren(el("h3", {}, "Shared with partners"),
      rows.length ? el("ul", {class: "shares"}, ...rows) : el("p", {class: "muted small"}, "Not shared with any partner."), form);
  }

  erm.share = share;
  const account = document.getElementById("account-page"), box = document.getElementById("share-box");
  if (account && box) share(box, account.dataset.uid).catch((error) => showError(error.message));
})();
