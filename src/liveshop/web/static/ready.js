// A form's submit button is rendered disabled (data-until-ready) and enabled here once every
// page script has run and taken over its form. A tap or the keyboard's Go before then would
// otherwise submit the bare form natively: a GET of the page with the fields (an email, a new
// password) in its address and in the server's access log. Module scripts all run before
// DOMContentLoaded, so its listeners are in place when the button wakes.
document.addEventListener("DOMContentLoaded", () => {
  for (const button of document.querySelectorAll("[data-until-ready]")) {
    button.disabled = false;
    button.removeAttribute("data-until-ready");
  }
});
