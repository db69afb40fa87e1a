// Evidence uploads: refuse a too-large file before sending it, and show progress while a
// form with files is sent (slow phone connections). Without JS the form posts as usual;
// the server checks everything again.
(function () {
  "use strict";
  document.querySelectorAll("form[enctype='multipart/form-data']").forEach(function (form) {
    var inputs = form.querySelectorAll("input[type=file]");
    if (!inputs.length || !window.FormData || !window.XMLHttpRequest) { return; }
    var maxFile = parseInt(form.getAttribute("data-max-file") || "0", 10);
    var bar = form.querySelector(".upload-progress");
    var status = form.querySelector(".upload-status");

    function fieldError(input, text) {
      var box = input.closest(".field");
      var old = box && box.querySelector(".error.client");
      if (old) { old.remove(); }
      if (!text || !box) { return; }
      var p = document.createElement("p");
      p.className = "error client";
      p.setAttribute("role", "alert");
      p.textContent = text;
      box.appendChild(p);
      box.classList.add("has-error");
    }

    function tooBig(input) {
      var files = Array.prototype.slice.call(input.files || []);
      var big = files.filter(function (f) { return maxFile && f.size > maxFile; });
      if (big.length) {
        fieldError(input, big[0].name + ": " + form.getAttribute("data-max-file-message"));
        return true;
      }
      fieldError(input, "");
      return false;
    }

    inputs.forEach(function (input) {
      input.addEventListener("change", function () { tooBig(input); });
    });

    form.addEventListener("submit", function (event) {
      var any = false;
      var bad = false;
      inputs.forEach(function (input) {
        if (input.files && input.files.length) { any = true; }
        if (tooBig(input)) { bad = true; }
      });
      if (bad) { event.preventDefault(); return; }
      if (!any) { return; }
      event.preventDefault();
      var xhr = new XMLHttpRequest();
      xhr.open("POST", form.getAttribute("action") || window.location.href);
      if (bar) { bar.hidden = false; bar.value = 0; }
      if (status) { status.hidden = false; }
      xhr.upload.addEventListener("progress", function (e) {
        if (!e.lengthComputable) { return; }
        var p = Math.round(e.loaded * 100 / e.total);
        if (bar) { bar.value = p; }
        if (status) { status.textContent = status.getAttribute("data-sending").replace("{p}", p); }
      });
      xhr.addEventListener("load", function () {
        // Show the page the server answered (the list after a redirect, or the form
        // with its messages) exactly as a normal submit would.
        if (xhr.responseURL && xhr.responseURL !== window.location.href) {
          window.history.replaceState(null, "", xhr.responseURL);
        }
        document.open();
        document.write(xhr.responseText);
        document.close();
        window.scrollTo(0, 0);
      });
      xhr.addEventListener("error", function () {
        if (status) { status.textContent = status.getAttribute("data-failed"); }
        form.querySelectorAll("button[type=submit]").forEach(function (b) { b.disabled = false; });
      });
      form.querySelectorAll("button[type=submit]").forEach(function (b) { b.disabled = true; });
      xhr.send(new FormData(form));
    });
  });
})();
