// <script async src="https://OUR-HOST/widget.js" data-service="slug" data-theme="auto|light|dark"
//   data-compact="1" data-lang="en|fr|de|..."></script>
// Puts the service's status widget (an iframe of /embed/<slug>/) right after the script tag:
// the host page's CSS cannot reach into it. No dependencies, no cookies. The frame's height
// follows its content, as the embed page reports it by postMessage (from our origin only);
// a page that writes its own <iframe src=".../embed/<slug>/"> gets that too by including
// this script without data-service.
(function () {
  "use strict";
  var ours = document.currentScript ? new URL(document.currentScript.src).origin : "";
  window.addEventListener("message", function (event) {
    var data = event.data;
    if (event.origin !== ours || !data || data.type !== "outages-widget:height" ||
        !(data.height > 0)) { return; }
    var frames = document.getElementsByTagName("iframe");
    for (var i = 0; i < frames.length; i++) {
      if (frames[i].contentWindow === event.source) {
        frames[i].height = String(Math.min(Math.ceil(data.height), 2000));
      }
    }
  });
  var scripts = document.currentScript
    ? [document.currentScript]
    : document.querySelectorAll("script[data-service]:not([data-outages-widget])");
  Array.prototype.forEach.call(scripts, function (script) {
    var slug = script.getAttribute("data-service");
    if (!slug || script.hasAttribute("data-outages-widget")) { return; }
    script.setAttribute("data-outages-widget", "");
    var compact = /^(1|true|yes)$/.test(script.getAttribute("data-compact") || "");
    var url = new URL("/embed/" + encodeURIComponent(slug) + "/", script.src);
    url.searchParams.set("theme", script.getAttribute("data-theme") || "auto");
    if (compact) { url.searchParams.set("compact", "1"); }
    // The host page's language; the frame picks the closest one it has (English if none).
    url.searchParams.set("lang", (script.getAttribute("data-lang") ||
      document.documentElement.lang || "en").toLowerCase());
    if (/^https?:$/.test(location.protocol)) { url.searchParams.set("origin", location.origin); }
    var frame = document.createElement("iframe");
    frame.src = url.href;
    frame.title = script.getAttribute("data-title") || (slug + " status");
    frame.loading = "lazy";
    frame.width = "300";
    frame.height = compact ? "48" : "150";
    frame.setAttribute("referrerpolicy", "strict-origin-when-cross-origin");
    frame.style.cssText = "border:0;max-width:100%;display:block;color-scheme:normal";
    script.parentNode.insertBefore(frame, script.nextSibling);
  });
})();
