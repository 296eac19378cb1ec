/* reCAPTCHA v3: on submit, ask Google for a token, put it in the form's hidden field, submit.
   (django-recaptcha does this in an inline script; here it is a file, for the site's CSP.) */
(function () {
  "use strict";
  function bind(input) {
    var form = input.form;
    if (!form) return;
    form.addEventListener("submit", function (event) {
      if (input.value) return;
      event.preventDefault();
      window.grecaptcha.ready(function () {
        var action = input.getAttribute("data-action");
        window.grecaptcha.execute(input.getAttribute("data-sitekey"), action ? { action: action } : {}).then(function (token) {
          input.value = token;
          form.submit();
        });
      });
    });
  }
  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("input.g-recaptcha[data-sitekey]").forEach(bind);
  });
})();
