/* The inbox: "Mark read" calls the JSON API and updates its row in place. */
"use strict";
document.querySelectorAll("button.mark-read").forEach((button) => button.addEventListener("click", async () => {
  try {
    await erm.api(`/api/alerts/${encodeURIComponent(button.dataset.id)}/read`, {method: "POST"});
    const row = button.closest("tr");
    row.className = "read";
    row.cells[3].textContent = "read";
    button.remove();
  } catch (error) {
    erm.showError(error.message);
  }
}));
