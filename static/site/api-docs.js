// Swagger UI renders the API's title as h1 and its groups as h3 (the schemas' as h4), and leaves its header outside
// any landmark: once it has rendered, make the groups level-2 headings and the header a named
// region (axe-core's heading-order and region rules; api/tests/test_browser.py).
(function () {
  "use strict";
  function fix() {
    document.querySelectorAll("h3.opblock-tag, section.models > h4").forEach(function (heading) {
      heading.setAttribute("aria-level", "2");
    });
    var header = document.querySelector(".information-container");
    if (header && !header.hasAttribute("aria-label")) {
      header.setAttribute("role", "region");
      header.setAttribute("aria-label", "About this API");
    }
  }
  new MutationObserver(fix).observe(document.documentElement, { childList: true, subtree: true });
})();
