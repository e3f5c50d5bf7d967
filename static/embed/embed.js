// The widget's report button: one JSON POST carrying the page's single-use token (no cookies).
document.addEventListener("DOMContentLoaded", function () {
  var box = document.querySelector(".report");
  if (!box) { return; }
  var button = box.querySelector(".report-button");
  var result = box.querySelector(".report-result");
  var ua = navigator.userAgent;
  var platform = /iPhone|iPad|iPod/.test(ua) ? "ios" : /Android/.test(ua) ? "android" : "web";
  button.addEventListener("click", function () {
    button.disabled = true;
    fetch(box.dataset.url, {
      method: "POST", credentials: "omit",
      headers: { "Content-Type": "application/json", "Accept": "application/json" },
      body: JSON.stringify({
        token: box.dataset.token, kind: "problem", platform: platform, problem: "other",
      }),
    }).then(function (response) {
      return response.json().then(function (body) { return { ok: response.ok, body: body }; });
    }).then(function (answer) {
      if (answer.ok) {
        result.textContent = answer.body.counted ? result.dataset.thanks : result.dataset.repeat;
        button.hidden = true;  // the token is spent
      } else {
        result.textContent = result.dataset.failed;
      }
    }).catch(function () {
      result.textContent = result.dataset.failed;
      button.disabled = false;
    }).finally(function () { result.hidden = false; });
  });
});
