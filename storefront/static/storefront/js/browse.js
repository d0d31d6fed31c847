// Browse: apply a filter as soon as it changes. The Apply button stays for keyboard and
// no-JavaScript use; typed prices wait for the button or Enter.
const form = document.querySelector("form[data-autosubmit]");
if (form) {
  form.addEventListener("change", (event) => {
    if (event.target.matches("input[type=checkbox], input[type=radio], select")) {
      form.requestSubmit();
    }
  });
  // Empty fields would only clutter the address and the cache key.
  form.addEventListener("formdata", (event) => {
    for (const [name, value] of [...event.formData.entries()]) {
      if (value === "") event.formData.delete(name);
    }
  });
}

// Wide screens show the filters beside the results; phones keep them behind "Filters".
const drawer = document.querySelector("details[data-filters]");
if (drawer) {
  const wide = window.matchMedia("(min-width: 800px)");
  const follow = () => {
    if (wide.matches) drawer.open = true;
  };
  follow();
  wide.addEventListener("change", follow);
}
