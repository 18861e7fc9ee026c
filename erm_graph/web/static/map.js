/* Relationship map page: fixed layout from the server, click a component for its details. */
"use strict";
(async () => {
  const page = document.getElementById("map-page");
  const panel = document.getElementById("detail");
  const params = new URLSearchParams(location.search);
  const data = await erm.api(`/api/maps/${erm.uidPath(page.dataset.uid)}`);
  const {net, nodes} = erm.network(document.getElementById("graph"), data, data.options);
  window.ermMap = {net, nodes, data};

  async function select(uid) {
    const node = nodes.get(uid);
    if (!node) return;
    net.selectNodes([uid]);
    const url = new URL(location.href);
    url.searchParams.set("select", uid);
    history.replaceState(null, "", url);
    await erm.detail(panel, uid, {label: node.label, props: {name: node.label, members: node.title}});
  }
  net.on("click", (event) => { if (event.nodes.length) select(event.nodes[0]); });
  net.once("afterDrawing", () => { net.fit(); });
  if (params.get("select")) await select(params.get("select"));
})().catch((error) => erm.showError(error.message));
