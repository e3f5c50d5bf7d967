// The widget page inside its iframe. The report button asks for a single-use token, then
// sends one JSON POST with it (no cookies). The frame's height follows the content: the page
// tells its parent (widget.js on the host page) its height by postMessage.
document.addEventListener("DOMContentLoaded", function () {
  "use strict";
  var widget = document.querySelector(".widget");
  if (widget && window.parent !== window && window.ResizeObserver) {
    var sent = 0;
    new ResizeObserver(function () {
      var height = Math.ceil(widget.getBoundingClientRect().height);
      if (height !== sent) {
        sent = height;
        // Only a height: nothing secret, so any parent may read it (widget.js checks our origin).
        window.parent.postMessage({ type: "outages-widget:height", height: height }, "*");
      }
    }).observe(widget);
  }
  var box = document.querySelector(".report");
  if (!box) { return; }
  var buttons = box.querySelectorAll(".report-button");
  var group = box.querySelector(".report-buttons");
  var result = box.querySelector(".report-result");
  var ua = navigator.userAgent;
  var platform = /iPhone|iPad|iPod/.test(ua) ? "ios" : /Android/.test(ua) ? "android" : "web";
  var given = new URLSearchParams(location.search).get("origin");
  var origin = given || (document.referrer ? new URL(document.referrer).origin : "");
  function post(url, body) {
    return fetch(url, {
      method: "POST", credentials: "omit",
      headers: { "Content-Type": "application/json", "Accept": "application/json" },
      body: JSON.stringify(body),
    }).then(function (response) {
      return response.json().then(function (data) { return { ok: response.ok, body: data }; });
    });
  }
  function enable(on) {
    buttons.forEach(function (b) { b.disabled = !on; });
  }
  // One button per problem type of the service's category: its value is the report's type.
  buttons.forEach(function (button) {
    button.addEventListener("click", function () {
      enable(false);
      post(box.dataset.tokenUrl, { origin: origin }).then(function (grant) {
        if (!grant.ok) { return grant; }
        return post(box.dataset.url, {
          token: grant.body.token, kind: "problem", platform: platform,
          problem: button.dataset.problem,
        });
      }).then(function (answer) {
        if (answer.ok) {
          result.textContent = answer.body.counted ? result.dataset.thanks : result.dataset.repeat;
          group.hidden = true;  // one report per visit
          var label = box.querySelector(".report-label");
          if (label) { label.hidden = true; }
        } else {
          result.textContent = result.dataset.failed;
        }
      }).catch(function () {
        result.textContent = result.dataset.failed;
        enable(true);
      }).finally(function () { result.hidden = false; });
    });
  });
});
