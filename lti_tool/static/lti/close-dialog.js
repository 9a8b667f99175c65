// Dynamic registration is done: ask the platform to close its registration dialog.
(function () {
  "use strict";
  (window.opener || window.parent).postMessage({ subject: "org.imsglobal.lti.close" }, "*");
})();
