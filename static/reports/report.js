// The report button without a reload: the form posts in the background and the page thanks
// the reporter with the live count, which the page's summary then shows too (one figure, the
// server's). The thank-you takes focus. Without JavaScript the same form posts and redirects.
// The page is the same for everyone (a shared cache), so the report's id is made here, once per
// page view and again after each report: a double submit is one report.
document.addEventListener("DOMContentLoaded", function () {
  document.querySelectorAll("form.report").forEach(function (form) {
    var result = form.querySelector(".report-result");
    var id = form.querySelector("input[name=id]");
    if (!id.value && crypto.randomUUID) { id.value = crypto.randomUUID(); }
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      var data = new FormData(form);
      if (event.submitter && event.submitter.name) {
        data.append(event.submitter.name, event.submitter.value);
      }
      form.querySelectorAll("button").forEach(function (b) { b.disabled = true; });
      fetch(form.action, {
        method: "POST", body: data, credentials: "same-origin",
        headers: { "Accept": "application/json" },
      }).then(function (response) {
        return response.json().then(function (body) { return { ok: response.ok, body: body }; });
      }).then(function (answer) {
        var body = answer.body;
        if (answer.ok) {
          result.textContent = body.message;  // translated by the server, with the live count
          result.className = "report-result message";
          var number = new Intl.NumberFormat(document.documentElement.lang || undefined);
          document.querySelectorAll('[data-live="problems"]').forEach(function (e) { e.textContent = number.format(body.problems); });
          document.querySelectorAll('[data-live="works"]').forEach(function (e) { e.textContent = number.format(body.works); });
        } else {
          var reasons = (body.errors || []).map(function (e) { return e.field + ": " + e.reason; });
          result.textContent = [body.detail].concat(reasons).join(" ");
          result.className = "report-result errors";
        }
        result.hidden = false;
        result.focus();
      }).catch(function () {
        form.submit();  // the network failed: fall back to the plain form post
      }).finally(function () {
        form.querySelectorAll("button").forEach(function (b) { b.disabled = false; });
        form.querySelector("input[name=id]").value = crypto.randomUUID ? crypto.randomUUID() : "";
      });
    });
  });
});
