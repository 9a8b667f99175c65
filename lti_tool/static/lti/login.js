// Login initiation page: continue to the platform when cookies reach the tool; otherwise keep the
// login's binding in the platform's storage frame (LTI platform storage) or offer a new window.
(function () {
  "use strict";
  var box = document.getElementById("lti-login");
  var authUrl = box.getAttribute("data-auth-url");
  var platformOrigin = box.getAttribute("data-platform-origin");
  var target = box.getAttribute("data-storage-target");

  function proceed() { window.location.replace(authUrl); }
  function offerNewWindow() {
    document.getElementById("lti-connecting").hidden = true;
    document.getElementById("lti-cookies-blocked").hidden = false;
  }
  function cookiesWork() {
    return document.cookie.split("; ").indexOf(box.getAttribute("data-probe-cookie") + "=1") !== -1;
  }
  function storageFrame() {
    if (!target || !window.parent || window.parent === window) { return null; }
    if (target === "_parent") { return window.parent; }
    try { return window.parent.frames[target] || null; } catch (e) { return null; }
  }

  if (cookiesWork()) { proceed(); return; }
  var frame = storageFrame();
  if (!frame) { offerNewWindow(); return; }
  var messageId = "put-" + Math.random().toString(36).slice(2) + Date.now().toString(36);
  var timer = window.setTimeout(offerNewWindow, 3000);
  window.addEventListener("message", function (event) {
    var data = event.data || {};
    if (event.origin !== platformOrigin || data.subject !== "lti.put_data.response" || data.message_id !== messageId) { return; }
    window.clearTimeout(timer);
    if (data.error) { offerNewWindow(); } else { proceed(); }
  });
  frame.postMessage({
    subject: "lti.put_data",
    message_id: messageId,
    key: box.getAttribute("data-storage-key"),
    value: box.getAttribute("data-binding")
  }, platformOrigin);
})();
