/* The target-relationship page: its one action turns the gaps into tasks for the account
   owners (POST /api/targets/tasks, as `erm targets check --open-tasks`) and says what it did. */
(function () {
  const form = document.getElementById("gap-tasks");
  if (!form) return;
  const said = document.getElementById("gap-tasks-said");
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const button = form.querySelector("button");
    button.disabled = true;
    said.textContent = "Opening tasks…";
    try {
      const found = await erm.api("/api/targets/tasks", {
        method: "POST", headers: {"content-type": "application/json"},
        body: JSON.stringify({due_in_days: Number(form.elements.due_in_days.value || 14)})});
      said.textContent = found.says.charAt(0).toUpperCase() + found.says.slice(1) + ".";
    } catch (error) {
      said.textContent = error.message;
    } finally {
      button.disabled = false;
    }
  });
})();
