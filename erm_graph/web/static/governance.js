/* Governance page: an owner form on each row, for the roles that may set owners. */
"use strict";
document.querySelectorAll("td.fix").forEach((cell) => {
  const owned = Number(cell.dataset.owned);
  cell.append(erm.ownerForm(cell.dataset.uid, cell.dataset.label, owned ? new Array(owned) : [], () => location.reload()));
});
document.body.dataset.ready = "1";  // the forms are in: what a test or a script waits for
