// Launch page for browsers that dropped the state cookie: read the login's binding back from the
// platform's storage frame (LTI platform storage) and post the launch again with it.
(function () {
  "use strict";
  var form = document.getElementById("lti-storage-launch");
  var platformOrigin = form.getAttribute("data-platform-origin");
  var target = form.getAttribute("data-storage-target");

  function giveUp() {
    document.getElementById("lti-checking").hidden = true;
    document.getElementById("lti-storage-failed").hidden = false;
  }
  var frame = null;
  if (window.parent && window.parent !== window) {
    if (target === "_parent") { frame = window.parent; }
    else { try { frame = window.parent.frames[target] || null; } catch (e) { frame = null; } }
  }
  if (!frame) { giveUp(); return; }
  var messageId = "get-" + Math.random().toString(36).slice(2) + Date.now().toString(36);
  var timer = window.setTimeout(giveUp, 3000);
  window.addEventListener("message", function (event) {
    var data = event.data || {};
    if (event.origin !== platformOrigin || data.subject !== "lti.get_data.response" || data.message_id !== messageId) { return; }
    window.clearTimeout(timer);
    if (data.error || !data.value) { giveUp(); return; }
    form.elements["lti_storage_binding"].value = data.value;
    form.submit();
  });
  frame.postMessage({ subject: "lti.get_data", message_id: messageId, key: form.getAttribute("data-storage-key") }, platformOrigin);
})();
