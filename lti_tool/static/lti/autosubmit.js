// Send the deep-linking response back to the platform without a click.
(function () {
  "use strict";
  document.getElementById("lti-autopost").submit();
})();
