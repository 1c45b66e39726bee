// The admin pages: a form with data-confirm asks before it is sent (reset a password, disable an account,
// delete an FAQ entry). No inline script: the page's CSP forbids it.
document.addEventListener("submit", function (event) {
  var form = event.target;
  var question = form && form.getAttribute && form.getAttribute("data-confirm");
  if (question && !window.confirm(question)) {
    event.preventDefault();
  }
}, true);
