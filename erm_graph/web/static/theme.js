/* The colour theme the nav's toggle chose (localStorage "erm-theme": "dark" or "light"), set
   before the page draws so it never flashes in the other one. No choice: the system's. */
"use strict";
try {
  const theme = localStorage.getItem("erm-theme");
  if (theme === "dark" || theme === "light") document.documentElement.dataset.theme = theme;
} catch (e) { /* storage refused (private mode): the system's theme */ }
