// Small progressive enhancements; every page works without this file.
document.addEventListener("change", (event) => {
  const target = event.target;
  if (target instanceof HTMLSelectElement && target.hasAttribute("data-autosubmit") && target.form) {
    target.form.submit();
  }
});

// Large text (the citizen pages): remembered for a year in a cookie the server reads to draw pages large.
document.querySelectorAll("[data-text-size-toggle]").forEach((button) => {
  button.hidden = false;
  button.addEventListener("click", () => {
    const large = document.documentElement.classList.toggle("large-text");
    button.setAttribute("aria-pressed", large ? "true" : "false");
    document.cookie = "zhili_text_size=" + (large ? "large" : "normal") + "; path=/; max-age=31536000; SameSite=Lax";
  });
});
